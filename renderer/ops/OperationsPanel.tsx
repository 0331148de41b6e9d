import { useEffect, useMemo, useRef } from 'react';
import { useStore } from 'zustand';
import type { ApiTransport, DirectionKey } from '../../shared/api/contract.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { AuditLog } from '../audit/AuditLog.js';
import { Dashboard, type DashboardEdge } from '../dashboard/Dashboard.js';
import { createDlqStore } from '../dlq/dlq-store.js';
import { DlqInspector } from '../dlq/DlqInspector.js';
import { PreflightPanel } from '../preflight/PreflightPanel.js';
import { PreviewPanel } from '../preview/PreviewPanel.js';
import { useFocusTrap } from '../dialog/use-focus-trap.js';
import { closeOperations, opsStore, type OpsTab } from './ops-store.js';
import './operations.css';

const TABS: { id: OpsTab; label: string }[] = [
  { id: 'preview', label: 'Preview' },
  { id: 'preflight', label: 'Preflight & go live' },
  { id: 'dlq', label: 'Dead-letter queue' },
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'audit', label: 'Audit log' },
];

/** Preview, preflight/go-live, the DLQ inspector, the dashboard and the audit log, over the canvas. */
export function OperationsPanel({ client, flow, running, onLive }: { client: ApiTransport; flow: FlowDocument | null; running: boolean; onLive?: () => void }) {
  const ops = useStore(opsStore);
  const dlqStore = useMemo(() => createDlqStore(client), [client]);
  const dialog = useRef<HTMLDivElement>(null);
  useFocusTrap(dialog, ops.open && flow !== null);
  const edges: DashboardEdge[] = useMemo(() => {
    if (!flow) return [];
    const name = (id: string) => flow.systems.find((s) => s.id === id)?.name ?? id;
    return flow.syncs.map((s) => {
      const all: { key: DirectionKey; label: string }[] = [
        { key: 'a-to-b', label: `${name(s.a.system)} → ${name(s.b.system)}` },
        { key: 'b-to-a', label: `${name(s.b.system)} → ${name(s.a.system)}` },
      ];
      return { id: s.id, name: s.name ?? `${name(s.a.system)} ↔ ${name(s.b.system)}`, directions: s.direction === 'both' ? all : all.filter((d) => d.key === s.direction) };
    });
  }, [flow]);

  const liveSummary = useMemo(() => {
    if (!flow) return [];
    const name = (id: string) => flow.systems.find((s) => s.id === id)?.name ?? id;
    const arrow = { 'a-to-b': '→', 'b-to-a': '←', both: '↔' } as const;
    const pace = (l: FlowDocument['syncs'][number]['latency']) => (l.tier === 'real-time' ? 'within seconds' : l.tier === 'near-real-time' ? 'within a minute or so' : 'on its schedule');
    return flow.syncs.filter((s) => s.enabled).map((s) => `${s.name ?? `${s.a.entity} ${arrow[s.direction]} ${s.b.entity}`}: ${name(s.a.system)} ${arrow[s.direction]} ${name(s.b.system)}, ${pace(s.latency)}`);
  }, [flow]);
  const systemNames = useMemo(() => Object.fromEntries((flow?.systems ?? []).map((s) => [s.id, s.name])), [flow]);

  useEffect(() => {
    if (!ops.open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && closeOperations();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ops.open]);

  if (!ops.open || !flow) return null;
  const syncId = ops.syncId && edges.some((e) => e.id === ops.syncId) ? ops.syncId : (edges[0]?.id ?? null);
  return (
    <div className="ops" role="dialog" aria-modal="true" aria-label="Operations" data-testid="operations" ref={dialog} tabIndex={-1}>
      {/* Not a <header>: inside the dialog it would be a second banner landmark. */}
      <div className="ops__head">
        <h2>{flow.name}</h2>
        <nav className="ops__tabs" role="tablist" aria-label="Operations views">
          {TABS.map((t) => (
            <button key={t.id} type="button" role="tab" aria-selected={ops.tab === t.id} className={`ops__tab${ops.tab === t.id ? ' ops__tab--active' : ''}`} onClick={() => opsStore.setState({ tab: t.id })}>
              {t.label}
            </button>
          ))}
        </nav>
        {edges.length > 1 && ops.tab === 'preview' && (
          <select className="select" aria-label="Preview edge" value={syncId ?? ''} onChange={(e) => opsStore.setState({ syncId: e.target.value })}>
            {edges.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        )}
        <button type="button" className="button button--secondary ops__close" onClick={closeOperations}>
          Close
        </button>
      </div>
      <div className="ops__body">
        {ops.tab === 'preview' && syncId && <PreviewPanel key={syncId} client={client} flowId={flow.id} syncId={syncId} candidate={flow} />}
        {ops.tab === 'preflight' && <PreflightPanel client={client} flowId={flow.id} running={running} onLive={onLive} liveSummary={liveSummary} />}
        {ops.tab === 'dlq' && <DlqInspector store={dlqStore} flowId={flow.id} edges={edges} initialFilter={ops.dlqFilter} systemNames={systemNames} syncs={flow.syncs} />}
        {ops.tab === 'dashboard' && <Dashboard client={client} flowId={flow.id} edges={edges} initialSyncId={syncId ?? undefined} />}
        {ops.tab === 'audit' && <AuditLog client={client} />}
      </div>
    </div>
  );
}
