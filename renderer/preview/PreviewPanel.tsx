import { useState } from 'react';
import type { AiPreview, ApiTransport, DirectionKey, HistoryPreviewResult, PreviewResult, PreviewRow } from '../../shared/api/contract.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { errorMessage } from '../api/api-call-error.js';
import { formatValue } from '../dlq/format.js';
import { storedDifference } from './stored-value.js';
import { ACTION_LABEL, ACTION_ORDER, auditFindings, countByAction, orderRows } from './preview-summary.js';

type Shown = { kind: 'samples'; result: PreviewResult } | { kind: 'history'; result: HistoryPreviewResult };

/** What a sync would do, record by record, before anything is written: on samples, or on its last real events. */
export function PreviewPanel({ client, flowId, syncId, candidate }: { client: ApiTransport; flowId: string; syncId: string; candidate?: FlowDocument | null }) {
  const [shown, setShown] = useState<Shown | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [limit, setLimit] = useState(50);
  const sync = candidate?.syncs.find((s) => s.id === syncId);
  const nameOf = (id: string) => candidate?.systems.find((s) => s.id === id)?.name ?? id;
  // A two-way edge previews each way in turn: both directions write.
  const directions: { key: DirectionKey; label: string }[] = sync
    ? [
        { key: 'a-to-b' as const, label: `${nameOf(sync.a.system)} → ${nameOf(sync.b.system)}` },
        { key: 'b-to-a' as const, label: `${nameOf(sync.b.system)} → ${nameOf(sync.a.system)}` },
      ].filter((d) => sync.direction === 'both' || sync.direction === d.key)
    : [];
  const [direction, setDirection] = useState<DirectionKey | undefined>(directions[0]?.key);

  const run = async (kind: Shown['kind']) => {
    setBusy(true);
    setError(null);
    try {
      if (kind === 'samples') setShown({ kind, result: await client.call('preview.run', { flowId, syncId, limit, ...(direction ? { direction } : {}) }) });
      else setShown({ kind, result: await client.call('preview.history', { flowId, syncId, limit: Math.min(limit, 200), ...(candidate ? { flow: candidate } : {}) }) });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const rows: PreviewRow[] = shown ? orderRows<PreviewRow>(shown.result.rows) : [];
  const counts = countByAction(rows);
  return (
    <div className="preview" data-testid="preview-panel">
      <div className="ops-toolbar">
        <label>
          <span className="field-label">Records</span>
          <select className="select" aria-label="How many records" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {[10, 50, 200, 1000].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {directions.length > 1 && (
          <fieldset className="preview-direction">
            <legend className="field-label">Direction</legend>
            {directions.map((d) => (
              <label key={d.key}>
                <input
                  type="radio"
                  name="preview-direction"
                  value={d.key}
                  checked={direction === d.key}
                  onChange={() => {
                    setDirection(d.key);
                    setShown(null);
                  }}
                />{' '}
                {d.label}
              </label>
            ))}
          </fieldset>
        )}
        <button type="button" className="button button--primary" disabled={busy} onClick={() => void run('samples')}>
          Preview samples
        </button>
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => void run('history')} title="Decide the edge's last applied events again with the mapping being edited">
          What-if on last events{candidate ? ' (edited mapping)' : ''}
        </button>
        <span className="ops-note">Reads both systems; writes nothing.</span>
      </div>
      {error && (
        <div className="alert alert--error" role="alert">
          <span className="alert__text">{error}</span>
        </div>
      )}
      {busy && <p className="ops-note">Reading records…</p>}
      {shown && (
        <>
          <ul className="preview-counts" aria-label="Preview summary">
            {ACTION_ORDER.map((a) => (
              <li key={a} className={`preview-action preview-action--${a}`} data-testid={`preview-count-${a}`}>
                {ACTION_LABEL[a]} <strong>{counts[a]}</strong>
              </li>
            ))}
          </ul>
          {shown.kind === 'samples' &&
            auditFindings(shown.result.audit).map((f) => (
              <div key={f} className="alert alert--warning" role="status">
                <span className="alert__text">{f}</span>
              </div>
            ))}
          {shown.kind === 'history' && (
            <p className="ops-note">
              {shown.result.events} recent events{shown.result.skipped.length ? `; ${shown.result.skipped.length} not covered (${shown.result.skipped[0]!.reason})` : ''}.
            </p>
          )}
          <table className="preview-table" aria-label="Preview rows">
            <thead>
              <tr>
                <th>Record</th>
                <th>Would</th>
                <th>Changes</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={`${r.sourceKey}-${i}`} data-testid="preview-row" data-action={r.action}>
                  <td>
                    {'label' in r && r.label ? (
                      <>
                        {r.label} <span className="preview-key">{r.sourceKey}</span>
                      </>
                    ) : (
                      r.sourceKey
                    )}
                    {r.targetKey ? <span className="preview-key"> → {r.targetKey}</span> : ''}
                  </td>
                  <td>
                    <span className={`preview-action preview-action--${r.action}`}>{ACTION_LABEL[r.action]}</span>
                  </td>
                  <td>
                    {r.reason && <div className="preview-reason">{r.reason}</div>}
                    {r.ai && <AiRecord ai={r.ai} />}
                    {r.changes.map((c) => (
                      <div key={c.field} className="preview-diff" data-testid="preview-diff">
                        <code>{c.field}</code>: <del>{formatValue(c.from)}</del> → <ins>{formatValue(c.to)}</ins>
                        {storedDifference(c.to, c.stored) !== null && (
                          <span className="preview-stored" data-testid="preview-stored" title="How the target itself stores this value: its own conversion of what is sent">
                            {' '}
                            (stored as <code>{storedDifference(c.to, c.stored)}</code>)
                          </span>
                        )}
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

/** An AI feed's record: each field's original beside what the feed sends, the contract check, the scanner's findings. */
function AiRecord({ ai }: { ai: AiPreview }) {
  return (
    <div className="preview-ai" data-testid="preview-ai">
      <table className="preview-table" aria-label="Original beside masked">
        <thead>
          <tr>
            <th>Field</th>
            <th>Original</th>
            <th>Sent to the AI tool</th>
          </tr>
        </thead>
        <tbody>
          {ai.fields.map((f) => (
            <tr key={f.source} data-testid="preview-ai-field">
              <td>
                <code>{f.source}</code>
                {f.class ? ` (${f.class})` : ' (unclassified)'}
              </td>
              <td>{formatValue(f.original)}</td>
              <td>{f.error ? <span className="preview-reason">{f.error}</span> : <ins>{formatValue(f.masked)}</ins>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="preview-reason" data-testid="preview-ai-contract">
        {ai.contract.length === 0 ? 'Meets the contract.' : `Breaks the contract: ${ai.contract.join('; ')}`}
      </div>
      {ai.findings.length > 0 && (
        <div className="ops-note" data-testid="preview-ai-findings">
          Scanner found: {ai.findings.map((f) => `${f.kind} in ${f.field} (${f.start}–${f.end})`).join(', ')}
        </div>
      )}
    </div>
  );
}
