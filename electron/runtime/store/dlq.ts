import type { Db } from './database.js';
import type { DlqEntry, DlqFilter, DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { ErrorClass } from '../../../shared/errors.js';
import { holdsBack } from './record-hold.js';
import type { DataCipher } from './data-cipher.js';

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
  event_version: number | null;
  waiting: number;
}

/** The DLQ columns that hold customer values (sealed at rest); the rest are ids, classes and times. */
const SEALED_COLUMNS = ['message', 'response', 'event', 'payload', 'detail'] as const;

/** Associated data of a sealed DLQ column: a value moved to another column or table does not open. */
export const dlqContext = (column: string): string => `dlq.${column}`;

/** A raw row with its sealed columns opened (also used for discarded entries, which keep raw rows). */
export function openDlqRow<T extends Record<string, unknown>>(row: T, cipher: DataCipher): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of SEALED_COLUMNS) if (typeof out[c] === 'string') out[c] = cipher.open(out[c], dlqContext(c));
  return out as T;
}

/** A raw row with its customer-value columns sealed. */
export function sealDlqRow<T extends Record<string, unknown>>(row: T, cipher: DataCipher): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of SEALED_COLUMNS) if (typeof out[c] === 'string') out[c] = cipher.seal(out[c], dlqContext(c));
  return out as T;
}

function matchesText(e: StoredDlqEntry, text: string): boolean {
  const t = text.toLowerCase();
  return e.message.toLowerCase().includes(t) || e.key.toLowerCase().includes(t) || JSON.stringify(e.event).toLowerCase().includes(t);
}

function toEntry(sealed: RawDlq, cipher: DataCipher): StoredDlqEntry {
  const r = openDlqRow(sealed as unknown as Record<string, unknown>, cipher) as unknown as RawDlq;
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
  // filter.text is matched after the sealed columns are opened (see DlqRepo.list)
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

  constructor(
    private readonly db: Db,
    private readonly cipher: DataCipher,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO dlq (flow_id, sync_id, direction, event_id, source_system, target_system, entity, key, error_class, message, response,
                        attempts, first_failed_at, last_failed_at, event, payload, detail, inbox_seq, event_version)
       VALUES (@flowId, @syncId, @direction, @eventId, @sourceSystem, @targetSystem, @entity, @key, @errorClass, @message, @response,
               @attempts, @firstFailedAt, @lastFailedAt, @event, @payload, @detail, @inboxSeq, @eventVersion)`,
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
        message: this.cipher.seal(e.message, dlqContext('message')),
        response: e.response ? this.cipher.seal(e.response.slice(0, 2000), dlqContext('response')) : null,
        attempts: e.attempts,
        firstFailedAt: e.firstFailedAt,
        lastFailedAt: e.lastFailedAt,
        event: this.cipher.seal(JSON.stringify(e.event), dlqContext('event')),
        payload: e.payload ? this.cipher.seal(JSON.stringify(e.payload), dlqContext('payload')) : null,
        detail: e.detail ? this.cipher.seal(JSON.stringify(e.detail), dlqContext('detail')) : null,
        inboxSeq: e.inboxSeq ?? null,
        eventVersion: e.event.version ?? null,
      }).lastInsertRowid,
    );
  }

  get(id: number): StoredDlqEntry | null {
    const r = this.getStmt.get(id) as RawDlq | undefined;
    return r ? toEntry(r, this.cipher) : null;
  }

  list(filter: DlqFilter, limit: number, offset: number): { total: number; entries: StoredDlqEntry[] } {
    const { sql, params } = whereClause(filter);
    if (filter.text) {
      // The searched columns are sealed: open the candidates and match in memory.
      const all = (this.db.prepare(`${SELECT_ENTRY} ${sql} ORDER BY id DESC`).all(...params) as RawDlq[]).map((r) => toEntry(r, this.cipher)).filter((e) => matchesText(e, filter.text!));
      return { total: all.length, entries: all.slice(offset, offset + limit) };
    }
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM dlq ${sql}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`${SELECT_ENTRY} ${sql} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...params, limit, offset) as RawDlq[];
    return { total, entries: rows.map((r) => toEntry(r, this.cipher)) };
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
    const entries = (this.db.prepare(`${SELECT_ENTRY} ${sql} ORDER BY id`).all(...params) as RawDlq[]).map((r) => toEntry(r, this.cipher));
    return sel.filter?.text ? entries.filter((e) => matchesText(e, sel.filter!.text!)) : entries;
  }

  /** Replace an entry's event (edit and replay: the user corrected its fields). */
  setEvent(id: number, event: ChangeEvent): boolean {
    return this.db.prepare('UPDATE dlq SET event = ?, event_version = ? WHERE id = ?').run(this.cipher.seal(JSON.stringify(event), dlqContext('event')), event.version ?? null, id).changes === 1;
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
