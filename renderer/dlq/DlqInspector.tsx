import { useCallback, useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import type { DirectionKey, DlqFilter } from '../../shared/api/contract.js';
import type { ErrorClass } from '../../shared/errors.js';
import { DlqDetail } from './DlqDetail.js';
import type { DlqState, DlqStore } from './dlq-store.js';
import { formatTime, formatValue, waitingText } from './format.js';
import { VirtualRows } from './VirtualRows.js';
import { eventFields, recordDisplayName } from '../../shared/records/display-name.js';
import type { SyncEdge } from '../../shared/flow/schema.js';

const ROW_HEIGHT = 32;
const CLASSES: ErrorClass[] = ['validation', 'permanent', 'transient', 'conflict'];
const SINCE: { label: string; ms: number | null }[] = [
  { label: 'Any time', ms: null },
  { label: 'Last 15 minutes', ms: 15 * 60_000 },
  { label: 'Last hour', ms: 60 * 60_000 },
  { label: 'Last 24 hours', ms: 24 * 60 * 60_000 },
];

export interface EdgeOption {
  id: string;
  name: string;
}

/** The dead-letter queue of a flow: filter, inspect, replay, edit, discard — smooth at 100,000 entries. */
export function DlqInspector({ store, flowId, edges, initialFilter, systemNames = {}, syncs = [] }: { store: DlqStore; flowId: string; edges: EdgeOption[]; initialFilter?: Omit<DlqFilter, 'flowId'>; systemNames?: Record<string, string>; syncs?: Pick<SyncEdge, 'id' | 'a' | 'b' | 'fields'>[] }) {
  const nameOf = (id: string) => systemNames[id] ?? id;
  const s = useStore(store);
  const [confirm, setConfirm] = useState<{ ids: number[] } | null>(null);
  const [sinceChoice, setSinceChoice] = useState(0);
  const [text, setText] = useState(initialFilter?.text ?? '');
  const [, tick] = useState(0);

  useEffect(() => {
    void store.getState().open(flowId, initialFilter);
    // initialFilter is read once per opening (a badge click opens with its edge).
  }, [store, flowId, initialFilter?.syncId, initialFilter?.errorClass]);

  useEffect(() => {
    const t = setInterval(() => void store.getState().refreshIfChanged(), 3000);
    return () => clearInterval(t);
  }, [store]);

  useEffect(() => {
    if (!s.undo) return;
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [s.undo]);

  const onRange = useCallback((start: number, end: number) => void store.getState().ensureRows(start, end), [store]);
  const classCounts = useMemo(() => s.filter.errorClass ?? 'validation', [s.filter.errorClass]);
  const undoLeft = s.undo ? Math.max(0, Math.ceil((s.undo.until - Date.now()) / 1000)) : 0;

  return (
    <div className="dlq" data-testid="dlq-inspector">
      <div className="dlq-filters" role="search" aria-label="Filter the DLQ">
        <label>
          <span className="field-label">Edge</span>
          <select className="select" aria-label="Edge" value={s.filter.syncId ?? ''} onChange={(e) => void s.setFilter({ syncId: e.target.value || undefined })}>
            <option value="">All edges</option>
            {edges.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="field-label">Error class</span>
          <select className="select" aria-label="Error class" value={s.filter.errorClass ?? ''} onChange={(e) => void s.setFilter({ errorClass: (e.target.value || undefined) as ErrorClass | undefined })}>
            <option value="">All classes</option>
            {CLASSES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="field-label">Time</span>
          <select
            className="select"
            aria-label="Time"
            value={sinceChoice}
            onChange={(e) => {
              const i = Number(e.target.value);
              setSinceChoice(i);
              const ms = SINCE[i]!.ms;
              void s.setFilter({ since: ms === null ? undefined : Date.now() - ms });
            }}
          >
            {SINCE.map((o, i) => (
              <option key={o.label} value={i}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <form
          className="dlq-filters__text"
          onSubmit={(e) => {
            e.preventDefault();
            void s.setFilter({ text: text.trim() || undefined });
          }}
        >
          <span className="field-label">Text</span>
          <input className="input" type="search" aria-label="Search the DLQ" placeholder="key, message or value" value={text} onChange={(e) => setText(e.target.value)} onBlur={() => (text.trim() || undefined) !== s.filter.text && void s.setFilter({ text: text.trim() || undefined })} />
        </form>
        <button type="button" className="button button--secondary" onClick={() => void s.refresh()} disabled={s.loading}>
          Refresh
        </button>
      </div>

      <div className="dlq-bar">
        <span data-testid="dlq-total">
          {s.total.toLocaleString('en-US')} {s.total === 1 ? 'entry' : 'entries'}
        </span>
        <button type="button" className="button button--secondary" disabled={s.busy || s.selected.size === 0} onClick={() => void s.replay([...s.selected])}>
          Replay selected ({s.selected.size})
        </button>
        <button type="button" className="button button--secondary" disabled={s.busy || s.selected.size === 0} onClick={() => setConfirm({ ids: [...s.selected] })}>
          Discard selected…
        </button>
        <button type="button" className="button button--primary" disabled={s.busy || s.total === 0 || classCounts === 'conflict'} onClick={() => void s.replayClass(classCounts)}>
          Replay all {classCounts} errors
        </button>
      </div>

      {s.message && (
        <div className={`alert alert--${s.message.level === 'error' ? 'error' : 'info'}`} role={s.message.level === 'error' ? 'alert' : 'status'}>
          <span className="alert__text">{s.message.text}</span>
          {s.undo && undoLeft > 0 && (
            <button type="button" className="button button--secondary" onClick={() => void s.undoDiscard()}>
              Undo ({undoLeft} s)
            </button>
          )}
          <button type="button" className="alert__close" onClick={s.dismissMessage} aria-label="Dismiss message">
            ×
          </button>
        </div>
      )}

      {confirm && (
        <div className="alert alert--warning" role="alertdialog" aria-label="Confirm discard">
          <span className="alert__text">
            Discard {confirm.ids.length} {confirm.ids.length === 1 ? 'change' : 'changes'}? They will not reach the target. You can undo for 30 seconds.
          </span>
          <button
            type="button"
            className="button button--primary"
            onClick={() => {
              void s.discard(confirm.ids);
              setConfirm(null);
            }}
          >
            Discard
          </button>
          <button type="button" className="button button--secondary" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </div>
      )}

      {s.mismatch && (
        <MismatchNote mismatch={s.mismatch} syncs={syncs} nameOf={nameOf} />
      )}

      <div className="dlq-body">
        <div className="dlq-table" role="table" aria-label="Dead-letter queue" aria-rowcount={s.total}>
          <div className="dlq-row dlq-row--head" role="row">
            <span role="columnheader">
              <span className="visually-hidden">Select</span>
            </span>
            <span role="columnheader">Last failed</span>
            <span role="columnheader">Edge</span>
            <span role="columnheader">Record</span>
            <span role="columnheader">Class</span>
            <span role="columnheader">Error</span>
            <span role="columnheader">Tries</span>
          </div>
          {s.total === 0 && !s.loading ? (
            <p className="dlq-empty" data-testid="dlq-empty">
              Nothing here: no failed changes match these filters.
            </p>
          ) : (
            <VirtualRows
              total={s.total}
              rowHeight={ROW_HEIGHT}
              onRange={onRange}
              label="DLQ entries"
              render={(i) => {
                const e = s.rowAt(i);
                if (!e)
                  return (
                    <div key={`p${i}`} className="dlq-row dlq-row--pending" role="row" style={{ height: ROW_HEIGHT }}>
                      <span role="cell">…</span>
                    </div>
                  );
                const selected = s.selected.has(e.id);
                return (
                  <div
                    key={e.id}
                    className={`dlq-row${s.detail?.id === e.id ? ' dlq-row--open' : ''}`}
                    role="row"
                    aria-selected={selected}
                    data-testid="dlq-row"
                    style={{ height: ROW_HEIGHT }}
                    onClick={() => void s.showDetail(e.id)}
                  >
                    <span role="cell" onClick={(ev) => ev.stopPropagation()}>
                      <input type="checkbox" aria-label={`Select entry ${e.id}`} checked={selected} onChange={() => s.toggleSelected(e.id)} />
                    </span>
                    <span role="cell">{formatTime(e.lastFailedAt)}</span>
                    <span role="cell" title={`${e.syncId}: ${nameOf(e.sourceSystem)} → ${nameOf(e.targetSystem)}`}>
                      {nameOf(e.sourceSystem)} → {nameOf(e.targetSystem)}
                    </span>
                    <span role="cell" title={`${e.entity} ${e.key}`}>
                      {recordDisplayName(eventFields(e.event)) ? (
                        <>
                          {recordDisplayName(eventFields(e.event))} <span className="dlq-row__key">{`${e.entity} ${e.key}`}</span>
                        </>
                      ) : (
                        `${e.entity} ${e.key}`
                      )}
                      {waitingText(e) && (
                        <span className="dlq-waiting" title={waitingText(e)!}>
                          {' '}
                          +{e.waitingBehind} waiting
                        </span>
                      )}
                    </span>
                    <span role="cell">
                      <span className={`dlq-class dlq-class--${e.errorClass}`}>{e.errorClass}</span>
                    </span>
                    <span role="cell" className="dlq-row__message" title={e.message}>
                      {e.message}
                    </span>
                    <span role="cell">{e.attempts}</span>
                  </div>
                );
              }}
            />
          )}
        </div>
        {s.detail && (
          <DlqDetail
            compare={s.compare}
            onClearSettled={() => void s.clearSettled(s.detail!.id)}
            key={s.detail.id}
            entry={s.detail}
            busy={s.busy}
            onClose={() => void s.showDetail(null)}
            onReplay={() => void s.replay([s.detail!.id])}
            onEditReplay={(fields) => void s.editReplay(s.detail!.id, fields)}
            onDiscard={() => setConfirm({ ids: [s.detail!.id] })}
            onResolve={(choice) => void s.resolveConflict(s.detail!.id, choice)}
            systemNames={systemNames}
            sync={syncs.find((x) => x.id === s.detail!.syncId)}
          />
        )}
      </div>
    </div>
  );
}

/** After an edit and replay: whether the record's two sides now agree, and where they do not. */
function MismatchNote({ mismatch, syncs, nameOf }: { mismatch: NonNullable<DlqState['mismatch']>; syncs: Pick<SyncEdge, 'id' | 'a' | 'b'>[]; nameOf: (id: string) => string }) {
  const sync = syncs.find((x) => x.id === mismatch.syncId);
  const way = (d: DirectionKey) => {
    if (!sync) return d;
    const [from, to] = d === 'a-to-b' ? [sync.a.system, sync.b.system] : [sync.b.system, sync.a.system];
    return `${nameOf(from)} → ${nameOf(to)}`;
  };
  if (mismatch.directions.length === 0) {
    return (
      <div className="alert alert--info" role="status" data-testid="dlq-mismatch">
        <span className="alert__text">Both sides of this record now agree.</span>
      </div>
    );
  }
  return (
    <div className="alert alert--warning" role="status" data-testid="dlq-mismatch">
      <span className="alert__text">
        <strong>The two sides of this record still differ.</strong> The edit changed what was sent, not the source; a later sync would change:{' '}
        {mismatch.directions
          .flatMap((d) => d.changes.map((c) => `${c.field} ${formatValue(c.from)} → ${formatValue(c.to)} (${way(d.direction)})`))
          .join('; ')}
        . Fix the value at its source, or edit the record on the other side.
      </span>
    </div>
  );
}
