import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { AlertThresholds, ApiTransport, DirectionKey, MetricPoint } from '../../shared/api/contract.js';
import { errorMessage } from '../api/api-call-error.js';
import { alertStore } from './alert-watch.js';
import { BUCKET_MS, currentValues, deriveSeries, type CurrentValues } from './edge-metrics.js';
import { LineChart } from './LineChart.js';

export interface DashboardEdge {
  id: string;
  name: string;
  /** Direction key → label, e.g. "Demo CRM → Demo Billing". */
  directions: { key: DirectionKey; label: string }[];
}

const WINDOWS = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 hour', ms: 60 * 60_000 },
  { label: '24 hours', ms: 24 * 60 * 60_000 },
];
const REFRESH_MS = 5000;
const COLORS: Record<DirectionKey, [string, string]> = { 'a-to-b': ['#2b59d9', '#8aa6ee'], 'b-to-a': ['#c26a04', '#eab26b'] };

/** Live charts per edge from the store's metric history, and alert thresholds per edge. */
export function Dashboard({ client, flowId, edges, initialSyncId }: { client: ApiTransport; flowId: string; edges: DashboardEdge[]; initialSyncId?: string }) {
  const [syncId, setSyncId] = useState(initialSyncId ?? edges[0]?.id ?? '');
  const [windowMs, setWindowMs] = useState(WINDOWS[0]!.ms);
  const [series, setSeries] = useState<Partial<Record<DirectionKey, MetricPoint[]>>>({});
  const { thresholds, active, recheck } = useStore(alertStore);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const edge = edges.find((e) => e.id === syncId) ?? edges[0];

  useEffect(() => {
    if (!edge) return;
    let stop = false;
    const load = async () => {
      try {
        const pairs = await Promise.all(edge.directions.map(async (d) => [d.key, await client.call('metrics.series', { flowId, syncId: edge.id, direction: d.key, sinceMs: windowMs })] as const));
        if (stop) return;
        const t = Date.now();
        const bySeries = Object.fromEntries(pairs) as Partial<Record<DirectionKey, MetricPoint[]>>;
        setSeries(bySeries);
        setNow(t);
        setError(null);
      } catch (e) {
        if (!stop) setError(errorMessage(e));
      }
    };
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [client, flowId, edge, windowMs]);

  if (!edge) return <p className="ops-note">This flow has no edges yet.</p>;
  // A young workspace has less history than the window: show what there is (at least a minute).
  const first = Math.min(...Object.values(series).map((pts) => pts?.[0]?.t ?? Infinity));
  const t0 = Math.max(now - windowMs, Math.min(now - 60_000, first - BUCKET_MS));
  const derived = edge.directions.map((d) => ({ d, s: deriveSeries(series[d.key] ?? []), c: currentValues(series[d.key] ?? [], now) }));
  const lines = (key: keyof CurrentValues & keyof ReturnType<typeof deriveSeries>) =>
    derived.map(({ d, s, c }) => ({ label: d.label, color: COLORS[d.key][0], points: s[key], current: c[key] }));

  return (
    <div className="dashboard" data-testid="dashboard">
      <div className="ops-toolbar">
        <label>
          <span className="field-label">Edge</span>
          <select className="select" aria-label="Dashboard edge" value={edge.id} onChange={(e) => setSyncId(e.target.value)}>
            {edges.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="field-label">Window</span>
          <select className="select" aria-label="Time window" value={windowMs} onChange={(e) => setWindowMs(Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w.ms} value={w.ms}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        <span className="ops-note">History is kept in the workspace store; refreshed every 5 s.</span>
      </div>
      {error && (
        <div className="alert alert--error" role="alert">
          <span className="alert__text">{error}</span>
        </div>
      )}
      {active.map((b) => (
        <div key={b.key} className="alert alert--warning" role="status" data-testid="dashboard-alert">
          <span className="alert__text">{b.message}</span>
        </div>
      ))}
      <div className="chart-grid">
        <LineChart
          title="Lag p50 / p99"
          unit="ms"
          t0={t0}
          t1={now}
          testId="chart-lag"
          lines={derived.flatMap(({ d, s, c }) => [
            { label: `${d.label} p50`, color: COLORS[d.key][0], points: s.lagP50, current: c.lagP50 },
            { label: `${d.label} p99`, color: COLORS[d.key][1], points: s.lagP99, dashed: true, current: c.lagP99 },
          ])}
        />
        <LineChart title="Events per second" unit="" t0={t0} t1={now} testId="chart-events" lines={lines('eventsPerSec')} />
        <LineChart title="Errors per minute" unit="" t0={t0} t1={now} testId="chart-errors" lines={lines('errorsPerMin')} />
        <LineChart title="Conflicts per minute" unit="" t0={t0} t1={now} testId="chart-conflicts" lines={lines('conflictsPerMin')} />
        <LineChart title="DLQ depth" unit="" t0={t0} t1={now} testId="chart-dlq" lines={lines('dlqDepth')} />
      </div>
      <AlertForm
        key={edge.id}
        name={edge.name}
        value={thresholds[edge.id] ?? {}}
        onSave={async (t) => {
          try {
            await client.call('alerts.set', { flowId, syncId: edge.id, thresholds: t });
            // The alert watcher (always running for the open flow) checks them from its next tick.
            alertStore.setState({ thresholds: { ...thresholds, [edge.id]: t } });
            if (typeof Notification !== 'undefined' && Notification.permission === 'default') await Notification.requestPermission();
            recheck();
          } catch (e) {
            setError(errorMessage(e));
          }
        }}
      />
    </div>
  );
}

const FIELDS: { key: keyof AlertThresholds; label: string; unit: string }[] = [
  { key: 'lagP99Ms', label: 'Lag p99 above', unit: 'ms' },
  { key: 'errorsPerMin', label: 'Errors per minute above', unit: '' },
  { key: 'conflictsPerMin', label: 'Conflicts per minute above', unit: '' },
  { key: 'dlqDepth', label: 'DLQ depth above', unit: '' },
];

function AlertForm({ name, value, onSave }: { name: string; value: AlertThresholds; onSave: (t: AlertThresholds) => Promise<void> }) {
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(FIELDS.map((f) => [f.key, value[f.key] === undefined ? '' : String(value[f.key])])));
  const [saved, setSaved] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  return (
    <form
      className="alert-form"
      aria-label={`Alert thresholds for ${name}`}
      // Our own check says what is wrong next to the field; the browser's bubble is easy to miss and
      // used to leave a negative number silently unsaved.
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const t: AlertThresholds = {};
        const found: Record<string, string> = {};
        for (const f of FIELDS) {
          const v = draft[f.key]?.trim();
          if (!v) continue;
          const n = Number(v);
          if (!Number.isFinite(n)) found[f.key] = 'enter a number, or leave it empty for no alert';
          else if (f.key === 'lagP99Ms' ? n <= 0 : n < 0) found[f.key] = f.key === 'lagP99Ms' ? 'must be more than 0 ms' : 'must be 0 or more';
          else if (f.key === 'dlqDepth' && !Number.isInteger(n)) found[f.key] = 'must be a whole number';
          else t[f.key] = n;
        }
        setProblems(found);
        if (Object.keys(found).length > 0) return;
        void onSave(t).then(() => setSaved(true));
      }}
    >
      <h3>Alerts for {name}</h3>
      <p className="ops-note">A desktop notification is raised when a threshold is crossed; empty means no alert.</p>
      <div className="alert-form__fields">
        {FIELDS.map((f) => (
          <label key={f.key}>
            <span className="field-label">
              {f.label}
              {f.unit ? ` (${f.unit})` : ''}
            </span>
            <input
              className="input"
              type="number"
              min={0}
              step="any"
              value={draft[f.key]}
              aria-invalid={problems[f.key] ? true : undefined}
              aria-describedby={problems[f.key] ? `alert-${f.key}-problem` : undefined}
              onChange={(e) => (setSaved(false), setDraft({ ...draft, [f.key]: e.target.value }))}
            />
            {problems[f.key] && (
              <span className="field-problem" id={`alert-${f.key}-problem`} role="alert">
                {f.label.replace(/ above$/, '')}: {problems[f.key]}
              </span>
            )}
          </label>
        ))}
        <button type="submit" className="button button--secondary">
          {saved ? 'Saved' : 'Save thresholds'}
        </button>
      </div>
    </form>
  );
}
