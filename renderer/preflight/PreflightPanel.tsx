import { useEffect, useState } from 'react';
import type { ApiTransport, GoLiveRecord, PreflightResult } from '../../shared/api/contract.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { errorMessage } from '../api/api-call-error.js';
import { formatTime } from '../dlq/format.js';
import { goLiveState } from './go-live-rules.js';

/** The go-live checklist per edge, and the one button that starts a flow safely (or with a kept reason). */
export function PreflightPanel({
  client,
  flowId,
  running,
  candidate,
  onLive,
  liveSummary = [],
}: {
  client: ApiTransport;
  flowId: string;
  running: boolean;
  candidate?: FlowDocument | null;
  onLive?: () => void;
  /** What now syncs, one line per edge ("Demo CRM ↔ Demo Billing, within seconds"), for the feedback after going live. */
  liveSummary?: string[];
}) {
  const [wentLive, setWentLive] = useState<{ override: boolean } | null>(null);
  const [result, setResult] = useState<PreflightResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [overriding, setOverriding] = useState(false);
  const [reason, setReason] = useState('');
  const [log, setLog] = useState<GoLiveRecord[]>([]);

  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await client.call('preflight.run', { flowId, ...(candidate ? { flow: candidate } : {}) }));
      setLog(await client.call('flows.goLiveLog', { flowId }));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void check();
    // Re-check when the flow changes; the candidate is checked on demand.
  }, [flowId]);

  const state = goLiveState(result, overriding, reason, running);
  const goLive = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await client.call('flows.goLive', { flowId, ...(state.enabled && state.override ? { override: { reason } } : {}) });
      setResult(r.preflight);
      setLog(await client.call('flows.goLiveLog', { flowId }));
      setWentLive({ override: r.record.override });
      setOverriding(false);
      setReason('');
      onLive?.();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="preflight" data-testid="preflight-panel">
      <div className="ops-toolbar">
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => void check()}>
          {busy ? 'Checking…' : 'Run checks again'}
        </button>
        {result && (
          <span className={`pill ${result.ok ? 'pill--health-healthy' : 'pill--health-failing'}`} data-testid="preflight-verdict">
            {result.ok ? 'Ready to go live' : 'Not ready'}
          </span>
        )}
      </div>
      {error && (
        <div className="alert alert--error" role="alert">
          <span className="alert__text">{error}</span>
        </div>
      )}
      {result?.edges.map((edge) => (
        <section key={edge.syncId} className="preflight-edge" aria-label={`Checklist for ${edge.name}`}>
          <h3>{edge.name}</h3>
          <ul className="preflight-checks">
            {edge.checks.map((c) => (
              <li key={c.id} className={`preflight-check preflight-check--${!c.ok ? 'fail' : c.warn ? 'warn' : 'ok'}`} data-testid={`preflight-${c.id}`}>
                <span className="preflight-check__mark" aria-label={!c.ok ? 'fails' : c.warn ? 'passes with a warning' : 'passes'}>
                  {!c.ok ? '✗' : c.warn ? '!' : '✓'}
                </span>
                <span>
                  <strong>{c.label}</strong>
                  <br />
                  <span className="ops-note">{c.detail}</span>
                </span>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {result && !result.ok && !running && (
        <div className="preflight-override">
          <label>
            <input type="checkbox" checked={overriding} onChange={(e) => setOverriding(e.target.checked)} /> Go live anyway (the reason is kept with the flow)
          </label>
          {overriding && <textarea className="input" rows={2} aria-label="Why it is safe to go live anyway" placeholder="Why is it safe to go live anyway?" value={reason} onChange={(e) => setReason(e.target.value)} />}
        </div>
      )}
      {wentLive && (
        <div className="alert alert--info go-live-feedback" role="status" data-testid="go-live-feedback">
          <span className="alert__text">
            <strong>{running ? 'The flow is live.' : 'Going live…'}</strong> {wentLive.override ? 'Started with your reason kept in the go-live history. ' : 'Every check passed. '}
            From now on, changes sync by themselves:
            <ul>
              {liveSummary.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
            Watch lag and failures on the edge in the canvas; a change a system refuses waits in the DLQ for you to fix and replay. Stop the flow from the header at any time.
          </span>
        </div>
      )}
      <div className="ops-toolbar">
        <button type="button" className="button button--primary" disabled={busy || !state.enabled} onClick={() => void goLive()} data-testid="go-live">
          {running ? 'Live' : 'Go live'}
        </button>
        {!state.enabled && <span className="ops-note">{state.why}</span>}
      </div>
      {log.length > 0 && (
        <section aria-label="Go-live history">
          <h3>Go-live history</h3>
          <ul className="preflight-log">
            {log.map((r) => (
              <li key={r.id}>
                {formatTime(r.at)} — {r.override ? <strong>override</strong> : 'all checks passed'}
                {r.override && (
                  <>
                    : “{r.reason}” (failing: {r.failed.join('; ')})
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
