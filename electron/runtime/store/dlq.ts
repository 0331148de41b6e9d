import type { Db } from './database.js';
import type { DlqEntry, DlqFilter, DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { ErrorClass } from '../../../shared/errors.js';
import { holdsBack } from './record-hold.js';

export interface NewDlqEntry {
  flowId: string;
  syncId: string;
  direction: DirectionKey;
  event: ChangeEvent;
  sourceSystem: string;
  targetSystem: string;
  errorClass: ErrorClass;
  message: string;
  response: string | null;
  attempts: number;
  firstFailedAt: number;
  lastFailedAt: number;
  payload: Record<string, unknown> | null;
  detail?: Record<string, unknown>;
  /** The failed change's inbox position: a replay takes it again, ahead of the changes held behind it. */
  inboxSeq?: number;
}

interface RawDlq {
  id: number;
  flow_id: string;
  sync_id: string;
  direction: string;
  event_id: string;
  source_system: string;
  target_system: string;
  entity: string;
  key: string;
  error_class: string;
  message: string;
  response: string | null;
  attempts: number;
  first_failed_at: number;
  last_failed_at: number;
  event: string;
  payload: string | null;
  detail: string | null;
  inbox_seq: number | null;
  waiting: number;
}

function toEntry(r: RawDlq): StoredDlqEntry {
  return {
    id: r.id,
    flowId: r.flow_id,
    syncId: r.sync_id,
    direction: r.direction as DirectionKey,
    eventId: r.event_id,
    sourceSystem: r.source_system,
    targetSystem: r.target_system,
    entity: r.entity,
    key: r.key,
    errorClass: r.error_class as ErrorClass,
    message: r.message,
    response: r.response,
    attempts: r.attempts,
    firstFailedAt: r.first_failed_at,
    lastFailedAt: r.last_failed_at,
    event: JSON.parse(r.event) as Record<string, unknown>,
    payload: r.payload ? (JSON.parse(r.payload) as Record<string, unknown>) : null,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    inboxSeq: r.inbox_seq,
    waitingBehind: r.waiting,
  };
}

/**
 * The columns of an entry plus how many later changes of its record wait in the inbox behind it (a
 * conflict holds none back). Every read of entries goes through this, so callers never see a stale count.
 */
const SELECT_ENTRY = `SELECT dlq.*, (SELECT COUNT(*) FROM inbox i WHERE ${holdsBack('dlq', 'i')}) AS waiting FROM dlq`;

function whereClause(filter: DlqFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (filter.flowId) (parts.push('flow_id = ?'), params.push(filter.flowId));
  if (filter.syncId) (parts.push('sync_id = ?'), params.push(filter.syncId));
  if (filter.direction) (parts.push('direction = ?'), params.push(filter.direction));
  if (filter.errorClass) (parts.push('error_class = ?'), params.push(filter.errorClass));
  if (filter.since !== undefined) (parts.push('last_failed_at >= ?'), params.push(filter.since));
  if (filter.until !== undefined) (parts.push('last_failed_at <= ?'), params.push(filter.until));
  if (filter.text) {
    parts.push("(message LIKE ? ESCAPE '\\' OR key LIKE ? ESCAPE '\\' OR event LIKE ? ESCAPE '\\')");
    const like = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    params.push(like, like, like);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export type StoredDlqEntry = DlqEntry & { detail: Record<string, unknown> | null; inboxSeq: number | null };

/** Dead-letter queue: failed and conflicting changes with everything needed to understand and replay them. */
export class DlqRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly deleteStmt;
  private readonly depthStmt;
  private readonly depthFlowStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO dlq (flow_id, sync_id, direction, event_id, source_system, target_system, entity, key, error_class, message, response,
                        attempts, first_failed_at, last_failed_at, event, payload, detail, inbox_seq)
       VALUES (@flowId, @syncId, @direction, @eventId, @sourceSystem, @targetSystem, @entity, @key, @errorClass, @message, @response,
               @attempts, @firstFailedAt, @lastFailedAt, @event, @payload, @detail, @inboxSeq)`,
    );
    this.getStmt = db.prepare(`${SELECT_ENTRY} WHERE id = ?`);
    this.deleteStmt = db.prepare('DELETE FROM dlq WHERE id = ?');
    this.depthStmt = db.prepare('SELECT COUNT(*) AS n FROM dlq WHERE flow_id = ? AND sync_id = ? AND direction = ?');
    this.depthFlowStmt = db.prepare('SELECT COUNT(*) AS n FROM dlq WHERE flow_id = ?');
  }

  add(e: NewDlqEntry): number {
    return Number(
      this.insertStmt.run({
        flowId: e.flowId,
        syncId: e.syncId,
        direction: e.direction,
        eventId: e.event.eventId,
        sourceSystem: e.sourceSystem,
        targetSystem: e.targetSystem,
        entity: e.event.entity,
        key: e.event.key,
        errorClass: e.errorClass,
        message: e.message,
        response: e.response ? e.response.slice(0, 2000) : null,
        attempts: e.attempts,
        firstFailedAt: e.firstFailedAt,
        lastFailedAt: e.lastFailedAt,
        event: JSON.stringify(e.event),
        payload: e.payload ? JSON.stringify(e.payload) : null,
        detail: e.detail ? JSON.stringify(e.detail) : null,
        inboxSeq: e.inboxSeq ?? null,
      }).lastInsertRowid,
    );
  }

  get(id: number): StoredDlqEntry | null {
    const r = this.getStmt.get(id) as RawDlq | undefined;
    return r ? toEntry(r) : null;
  }

  list(filter: DlqFilter, limit: number, offset: number): { total: number; entries: StoredDlqEntry[] } {
    const { sql, params } = whereClause(filter);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM dlq ${sql}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`${SELECT_ENTRY} ${sql} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...params, limit, offset) as RawDlq[];
    return { total, entries: rows.map(toEntry) };
  }

  /** Entries selected by ids or filter (for replay/discard), oldest first so replays keep order. */
  select(sel: { ids?: number[]; filter?: DlqFilter }): StoredDlqEntry[] {
    if (sel.ids) {
      const out = [];
      for (const id of [...sel.ids].sort((x, y) => x - y)) {
        const e = this.get(id);
        if (e && (!sel.filter?.flowId || e.flowId === sel.filter.flowId)) out.push(e);
      }
      return out;
    }
    const { sql, params } = whereClause(sel.filter ?? {});
    return (this.db.prepare(`${SELECT_ENTRY} ${sql} ORDER BY id`).all(...params) as RawDlq[]).map(toEntry);
  }

  /** Replace an entry's event (edit and replay: the user corrected its fields). */
  setEvent(id: number, event: ChangeEvent): boolean {
    return this.db.prepare('UPDATE dlq SET event = ? WHERE id = ?').run(JSON.stringify(event), id).changes === 1;
  }

  remove(id: number): boolean {
    return this.deleteStmt.run(id).changes === 1;
  }

  depth(flowId: string, syncId: string, direction: string): number {
    return (this.depthStmt.get(flowId, syncId, direction) as { n: number }).n;
  }

  depthOfFlow(flowId: string): number {
    return (this.depthFlowStmt.get(flowId) as { n: number }).n;
  }
}
