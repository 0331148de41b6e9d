import { useEffect, useState } from 'react';
import type { DlqEntry, RecordComparison } from '../../shared/api/contract.js';
import type { SyncEdge } from '../../shared/flow/schema.js';
import { inputText, valueFromInput } from './edit-fields.js';
import { conflictFields, formatTime, formatValue, parseEditedFields, waitingText } from './format.js';
import { eventFields, recordDisplayName } from '../../shared/records/display-name.js';

interface Props {
  entry: DlqEntry;
  busy: boolean;
  onClose(): void;
  onReplay(): void;
  onEditReplay(fields: Record<string, unknown>): void;
  onDiscard(): void;
  onResolve(choice: { keep: 'a' | 'b' } | { value: unknown }): void;
  /** System id → the name the user gave it. */
  systemNames?: Record<string, string>;
  /** The entry's edge, for the names its mapping gives the fields. */
  sync?: Pick<SyncEdge, 'a' | 'b' | 'fields'>;
  /** Reads the entry's record across its edge now. */
  compare?(entry: DlqEntry): Promise<RecordComparison>;
  /** Clears an entry whose record the source has since fixed and the target agrees with. */
  onClearSettled?(): void;
}

/** Source fields whose value now differs from the failed change's (exact text compare). */
function changedSince(then: Record<string, unknown>, now: Record<string, unknown>): { field: string; then: unknown; now: unknown }[] {
  return Object.keys(then)
    .filter((f) => f in now && formatValue(now[f]) !== formatValue(then[f]))
    .map((f) => ({ field: f, then: then[f], now: now[f] }));
}

/** Field values as a readable list (name, value), the raw JSON kept for whoever needs it. */
function FieldList({ fields, label, testId }: { fields: Record<string, unknown>; label: (f: string) => string; testId: string }) {
  const names = Object.keys(fields);
  if (names.length === 0) return <p className="ops-note">—</p>;
  return (
    <dl className="dlq-fields" data-testid={testId}>
      {names.map((f) => (
        <div key={f} className="dlq-fields__row">
          <dt>{label(f)}</dt>
          <dd>{formatValue(fields[f])}</dd>
        </div>
      ))}
    </dl>
  );
}

function Json({ value }: { value: unknown }) {
  return <pre className="dlq-detail__json">{value === null || value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>;
}

/** Everything about one failed change, and what can be done about it. */
export function DlqDetail({ entry, busy, onClose, onReplay, onEditReplay, onDiscard, onResolve, systemNames = {}, sync, compare, onClearSettled }: Props) {
  const [since, setSince] = useState<{ gone: boolean; changed: ReturnType<typeof changedSince>; agrees: boolean } | null>(null);
  useEffect(() => {
    if (!compare || entry.errorClass === 'conflict') return;
    let live = true;
    compare(entry)
      .then((c) => {
        if (!live) return;
        const changed = c.fields ? changedSince(eventFields(entry.event), c.fields) : [];
        const agrees = c.directions.every((d) => !d.row || d.row.action === 'no-op');
        setSince({ gone: c.fields === null, changed, agrees });
      })
      .catch(() => {
        /* a system that cannot be read now: the detail shows what was captured */
      });
    return () => {
      live = false;
    };
  }, [compare, entry]);
  // Fixed at its source since, and the other side already agrees: a replay would change nothing.
  const settled = since !== null && !since.gone && since.changed.length > 0 && since.agrees;
  const fields = eventFields(entry.event);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(() => JSON.stringify(fields, null, 2));
  const [drafts, setDrafts] = useState<Record<string, string>>(() => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, inputText(v)])));
  const [asJson, setAsJson] = useState(false);
  const [editError, setEditError] = useState<string | null>(null);
  const nameOf = (id: string) => systemNames[id] ?? id;
  const source = nameOf(entry.sourceSystem);
  const target = nameOf(entry.targetSystem);
  const sourceIsA = entry.direction === 'a-to-b';
  const aName = nameOf(sync?.a.system ?? (sourceIsA ? entry.sourceSystem : entry.targetSystem));
  const bName = nameOf(sync?.b.system ?? (sourceIsA ? entry.targetSystem : entry.sourceSystem));
  // The mapping's pairs as (source field, target field) for this entry's direction.
  const pairs = (sync?.fields ?? []).map((f) => (sourceIsA ? { from: f.a, to: f.b } : { from: f.b, to: f.a }));
  const sourceLabel = (f: string) => {
    const to = pairs.find((p) => p.from === f)?.to;
    return to && to !== f ? `${f} (${to} in ${target})` : f;
  };
  const targetLabel = (f: string) => {
    const from = pairs.find((p) => p.to === f)?.from;
    return from && from !== f ? `${f} (${from} in ${source})` : f;
  };
  // The target's error names its own column; say which mapped field that is.
  const named = pairs.filter((p) => p.to !== p.from && new RegExp(`\\b${p.to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(entry.message));
  const display = recordDisplayName(fields) ?? recordDisplayName(entry.payload);
  const replayEdited = () => {
    if (asJson) {
      const parsed = parseEditedFields(text);
      if (!parsed.ok) return setEditError(parsed.message);
      setEditError(null);
      return onEditReplay(parsed.fields);
    }
    const out: Record<string, unknown> = {};
    for (const [f, original] of Object.entries(fields)) {
      const v = valueFromInput(original, drafts[f] ?? '');
      if (!v.ok) return setEditError(`${f}: ${v.message}`);
      out[f] = v.value;
    }
    setEditError(null);
    onEditReplay(out);
  };
  const [custom, setCustom] = useState('');
  const conflicts = conflictFields(entry);
  const waiting = waitingText(entry);
  const ev = entry.event as { sourceTime?: number; captureTime?: number; op?: string; origin?: string };
  const timeline = [
    ev.sourceTime ? { t: ev.sourceTime, what: `changed in ${source} (${ev.op === 'delete' ? 'deleted' : 'created or edited'}${ev.origin && ev.origin !== 'user' ? `, by ${ev.origin}` : ''})` } : null,
    ev.captureTime ? { t: ev.captureTime, what: 'captured into the inbox (stored safely, waiting to be written)' } : null,
    { t: entry.firstFailedAt, what: 'first failure' },
    { t: entry.lastFailedAt, what: `${target} refused it; set aside here after ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}` },
  ].filter((x): x is { t: number; what: string } => x !== null);

  return (
    <aside className="dlq-detail" aria-label={`Failed change of ${display ?? `${entry.entity} ${entry.key}`}`} data-testid="dlq-detail">
      <header className="dlq-detail__head">
        <h3>
          {display ?? `${entry.entity} ${entry.key}`} <span className={`dlq-class dlq-class--${entry.errorClass}`}>{entry.errorClass}</span>
          <span className="dlq-detail__sub">
            {display ? `${entry.entity} ${entry.key} · ` : ''}
            {source} → {target}
          </span>
        </h3>
        <button type="button" className="alert__close" onClick={onClose} aria-label="Close detail">
          ×
        </button>
      </header>
      <section>
        <h4>Error</h4>
        <p className="dlq-detail__error">{entry.message}</p>
        {named.length > 0 && (
          <p className="ops-note" data-testid="dlq-field-names">
            {named.map((p) => `${p.to} in ${target} is ${p.from} in ${source}`).join('; ')}.
          </p>
        )}
        {entry.response && (
          <details className="dlq-detail__tech">
            <summary>What {target} answered</summary>
            <Json value={entry.response} />
          </details>
        )}
      </section>

      {entry.errorClass === 'conflict' ? (
        <section aria-label="Resolve conflict">
          <h4>Both values</h4>
          <table className="dlq-detail__conflict">
            <thead>
              <tr>
                <th>Field</th>
                <th>{aName}</th>
                <th>{bName}</th>
              </tr>
            </thead>
            <tbody>
              {conflicts.map((c) => (
                <tr key={c.a}>
                  <td>{c.a === c.b ? c.a : `${c.a} (${c.b} in ${bName})`}</td>
                  <td>{formatValue(c.aValue)}</td>
                  <td>{formatValue(c.bValue)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="dlq-actions">
            <button type="button" className="button button--primary" disabled={busy} onClick={() => onResolve({ keep: 'a' })}>
              Keep {aName}&rsquo;s value
            </button>
            <button type="button" className="button button--primary" disabled={busy} onClick={() => onResolve({ keep: 'b' })}>
              Keep {bName}&rsquo;s value
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
          {since && since.changed.length > 0 && (
            <p className={`alert ${settled ? 'alert--info' : 'alert--warning'} dlq-detail__since`} role="status" data-testid="dlq-since">
              <span className="alert__text">
                <strong>Changed in {source} since it failed:</strong> {since.changed.map((c) => `${sourceLabel(c.field)} is now “${formatValue(c.now)}” (was “${formatValue(c.then)}”)`).join('; ')}.{' '}
                {settled ? `${target} already agrees, so replaying changes nothing: Replay clears this entry.` : `Replaying sends the values it had then; the newer change follows it.`}
              </span>
            </p>
          )}
          {since?.gone && (
            <p className="alert alert--warning dlq-detail__since" role="status" data-testid="dlq-since">
              <span className="alert__text">This record no longer exists in {source}.</span>
            </p>
          )}
          <div className="dlq-actions">
            <button type="button" className="button button--primary" disabled={busy} onClick={settled && onClearSettled ? onClearSettled : onReplay}>
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
            <form
              className="dlq-detail__edit"
              aria-label="Edit the change"
              onSubmit={(e) => {
                e.preventDefault();
                replayEdited();
              }}
            >
              <p className="ops-note">Correct the values as {source} sent them; the change is replayed with these values.</p>
              {!asJson &&
                Object.keys(fields).map((f) => (
                  <label key={f} className="dlq-edit-field">
                    <span className="field-label">{sourceLabel(f)}</span>
                    <input className="input" value={drafts[f] ?? ''} placeholder="(no value)" onChange={(e) => setDrafts({ ...drafts, [f]: e.target.value })} />
                  </label>
                ))}
              <label className="dlq-edit-json">
                <input
                  type="checkbox"
                  checked={asJson}
                  onChange={(e) => {
                    setAsJson(e.target.checked);
                    setEditError(null);
                  }}
                />{' '}
                Advanced: edit as JSON
              </label>
              {asJson && (
                <>
                  <label className="field-label" htmlFor={`dlq-edit-${entry.id}`}>
                    Source fields (JSON) — replayed with these values
                  </label>
                  <textarea id={`dlq-edit-${entry.id}`} className="input dlq-detail__textarea" rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
                </>
              )}
              {editError && (
                <p className="text-error" role="alert">
                  {editError}
                </p>
              )}
              <button type="submit" className="button button--primary" disabled={busy}>
                Replay edited change
              </button>
            </form>
          )}
        </section>
      )}

      <section>
        <h4>The change in {source}</h4>
        <FieldList fields={fields} label={sourceLabel} testId="dlq-event-fields" />
        <h4>What would be written to {target}</h4>
        {entry.payload ? <FieldList fields={entry.payload} label={targetLabel} testId="dlq-payload-fields" /> : <p className="ops-note">Nothing: it failed before the mapping.</p>}
        <details className="dlq-detail__tech">
          <summary>Technical details (JSON)</summary>
          <h5>Event</h5>
          <Json value={entry.event} />
          <h5>Mapped payload</h5>
          <Json value={entry.payload} />
        </details>
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
