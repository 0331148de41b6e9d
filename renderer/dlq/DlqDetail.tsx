import { useState } from 'react';
import type { DlqEntry } from '../../shared/api/contract.js';
import { conflictFields, formatTime, formatValue, parseEditedFields, waitingText } from './format.js';

interface Props {
  entry: DlqEntry;
  busy: boolean;
  onClose(): void;
  onReplay(): void;
  onEditReplay(fields: Record<string, unknown>): void;
  onDiscard(): void;
  onResolve(choice: { keep: 'a' | 'b' } | { value: unknown }): void;
}

function Json({ value }: { value: unknown }) {
  return <pre className="dlq-detail__json">{value === null || value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>;
}

/** Everything about one failed change, and what can be done about it. */
export function DlqDetail({ entry, busy, onClose, onReplay, onEditReplay, onDiscard, onResolve }: Props) {
  const fields = ((entry.event as { fields?: Record<string, unknown> }).fields ?? {}) as Record<string, unknown>;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(() => JSON.stringify(fields, null, 2));
  const [editError, setEditError] = useState<string | null>(null);
  const [custom, setCustom] = useState('');
  const conflicts = conflictFields(entry);
  const waiting = waitingText(entry);
  const ev = entry.event as { sourceTime?: number; captureTime?: number; op?: string; origin?: string };
  const timeline = [
    ev.sourceTime ? { t: ev.sourceTime, what: `changed in ${entry.sourceSystem} (${ev.op ?? 'upsert'}, by ${ev.origin ?? 'user'})` } : null,
    ev.captureTime ? { t: ev.captureTime, what: 'captured into the inbox' } : null,
    { t: entry.firstFailedAt, what: 'first failure' },
    { t: entry.lastFailedAt, what: `dead-lettered after ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}` },
  ].filter((x): x is { t: number; what: string } => x !== null);

  return (
    <aside className="dlq-detail" aria-label={`DLQ entry ${entry.id}`} data-testid="dlq-detail">
      <header className="dlq-detail__head">
        <h3>
          {entry.entity} {entry.key} <span className={`dlq-class dlq-class--${entry.errorClass}`}>{entry.errorClass}</span>
        </h3>
        <button type="button" className="alert__close" onClick={onClose} aria-label="Close detail">
          ×
        </button>
      </header>
      <section>
        <h4>Error</h4>
        <p className="dlq-detail__error">{entry.message}</p>
        {entry.response && (
          <>
            <h4>Target response</h4>
            <Json value={entry.response} />
          </>
        )}
      </section>

      {entry.errorClass === 'conflict' ? (
        <section aria-label="Resolve conflict">
          <h4>Both values</h4>
          <table className="dlq-detail__conflict">
            <thead>
              <tr>
                <th>Field</th>
                <th>A ({entry.direction === 'a-to-b' ? entry.sourceSystem : entry.targetSystem})</th>
                <th>B ({entry.direction === 'a-to-b' ? entry.targetSystem : entry.sourceSystem})</th>
              </tr>
            </thead>
            <tbody>
              {conflicts.map((c) => (
                <tr key={c.a}>
                  <td>{c.a}</td>
                  <td>{formatValue(c.aValue)}</td>
                  <td>{formatValue(c.bValue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="dlq-actions">
            <button type="button" className="button button--primary" disabled={busy} onClick={() => onResolve({ keep: 'a' })}>
              Keep A
            </button>
            <button type="button" className="button button--primary" disabled={busy} onClick={() => onResolve({ keep: 'b' })}>
              Keep B
            </button>
            <input className="input" aria-label="Custom value" placeholder="custom value" value={custom} onChange={(e) => setCustom(e.target.value)} />
            <button type="button" className="button button--secondary" disabled={busy || custom === ''} onClick={() => onResolve({ value: custom })}>
              Use custom value
            </button>
          </div>
        </section>
      ) : (
        <section>
          {waiting && (
            <p className="dlq-detail__waiting" data-testid="dlq-waiting">
              {waiting}. They apply, in order, once this change is replayed, fixed or discarded; until then none of them is applied
              on top of this missing one.
            </p>
          )}
          <div className="dlq-actions">
            <button type="button" className="button button--primary" disabled={busy} onClick={onReplay}>
              Replay
            </button>
            <button type="button" className="button button--secondary" disabled={busy} onClick={() => setEditing((v) => !v)} aria-expanded={editing}>
              Edit and replay…
            </button>
            <button type="button" className="button button--secondary" disabled={busy} onClick={onDiscard}>
              Discard…
            </button>
          </div>
          {editing && (
            <div className="dlq-detail__edit">
              <label className="field-label" htmlFor={`dlq-edit-${entry.id}`}>
                Source fields (JSON) — replayed with these values
              </label>
              <textarea id={`dlq-edit-${entry.id}`} className="input dlq-detail__textarea" rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
              {editError && <p className="text-error">{editError}</p>}
              <button
                type="button"
                className="button button--primary"
                disabled={busy}
                onClick={() => {
                  const parsed = parseEditedFields(text);
                  if (!parsed.ok) return setEditError(parsed.message);
                  setEditError(null);
                  onEditReplay(parsed.fields);
                }}
              >
                Replay edited change
              </button>
            </div>
          )}
        </section>
      )}

      <section>
        <h4>Event</h4>
        <Json value={entry.event} />
        <h4>Mapped payload</h4>
        <Json value={entry.payload} />
      </section>
      <section>
        <h4>Timeline</h4>
        <ol className="dlq-detail__timeline">
          {timeline.map((x) => (
            <li key={x.what}>
              <time>{formatTime(x.t)}</time> {x.what}
            </li>
          ))}
        </ol>
      </section>
    </aside>
  );
}
