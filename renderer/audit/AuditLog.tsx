import { useEffect, useState } from 'react';
import type { ApiTransport, AuditEntry } from '../../shared/api/contract.js';
import { errorMessage } from '../api/api-call-error.js';

const METHOD_WORDS: Record<string, string> = {
  'dlq.replay': 'replayed failed changes',
  'dlq.editReplay': 'edited and replayed a failed change',
  'dlq.discard': 'discarded failed changes',
  'dlq.undoDiscard': 'undid a discard',
  'conflicts.resolve': 'resolved a conflict',
  'flows.start': 'started a flow',
  'flows.stop': 'stopped a flow',
  'flows.save': 'saved a flow',
  'flows.delete': 'deleted a flow',
  'flows.goLive': 'went live',
  'alerts.set': 'set alert thresholds',
  'secrets.set': 'stored a secret',
};

/** Who changed what through the shared runtime's API, newest first (synccanvas serve, as in `synccanvas audit`). */
export function AuditLog({ client }: { client: ApiTransport }) {
  const [state, setState] = useState<{ total: number; entries: AuditEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.call('audit.list', { limit: 200, offset: 0 }).then(
      (r) => live && setState(r),
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [client]);
  if (error) return <p className="ops-note" role="alert">The audit log could not be read: {error}</p>;
  if (!state) return <p className="ops-note">Loading the audit log…</p>;
  return (
    <section aria-labelledby="audit-heading" data-testid="audit-log">
      <h3 id="audit-heading">Audit log</h3>
      <p className="ops-note">
        Every change made through this runtime&apos;s web address (browser mode, <code>synccanvas serve</code>): who, when, what, and why when someone went live despite
        preflight. Values are never recorded. The desktop app is one person and does not record its own actions here.
      </p>
      {state.entries.length === 0 ? (
        <p className="ops-note" data-testid="audit-empty">
          Nothing recorded yet.
        </p>
      ) : (
        <table className="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">About</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {state.entries.map((e) => (
              <tr key={e.id} data-testid="audit-row">
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>
                  {e.who} <span className="audit-role">({e.role})</span>
                </td>
                <td>
                  {METHOD_WORDS[e.method] ?? e.method}
                  {e.reason ? <div className="audit-reason">Reason: {e.reason}</div> : null}
                </td>
                <td>{describeTarget(e.target)}</td>
                <td>{e.ok ? 'done' : `failed: ${e.error}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {state.total > state.entries.length && <p className="ops-note">{state.total - state.entries.length} older entries: see `synccanvas audit --limit N`.</p>}
    </section>
  );
}

function describeTarget(t: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof t.flowId === 'string') parts.push(`flow ${t.flowId}`);
  if (typeof t.syncId === 'string') parts.push(`sync ${t.syncId}`);
  if (Array.isArray(t.ids)) parts.push(`${typeof t.idCount === 'number' ? t.idCount : t.ids.length} entr${(typeof t.idCount === 'number' ? t.idCount : t.ids.length) === 1 ? 'y' : 'ies'}`);
  if (typeof t.id === 'number') parts.push(`entry ${t.id}`);
  if (typeof t.name === 'string') parts.push(`secret "${t.name}"`);
  if (Array.isArray(t.fieldsEdited)) parts.push(`fields ${t.fieldsEdited.join(', ')}`);
  if (t.filter && typeof t.filter === 'object') parts.push('by filter');
  return parts.join(', ') || '—';
}
