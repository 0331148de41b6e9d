import type { Db } from './database.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { DirectionKey } from '../../../shared/api/contract.js';
import { holdsBack } from './record-hold.js';
import type { DataCipher } from './data-cipher.js';

const FIELDS_CONTEXT = 'inbox.fields';
const ERROR_CONTEXT = 'inbox.last_error';

/** One change routed to one sync direction; the unit the engine applies, retries and dead-letters. */
export interface InboxRow {
  seq: number;
  flowId: string;
  syncId: string;
  direction: DirectionKey;
  event: ChangeEvent;
  attempts: number;
  notBefore: number;
  lastError: string | null;
  firstFailedAt: number | null;
  replay: boolean;
}

export interface Route {
  syncId: string;
  direction: DirectionKey;
  /** When the row may be applied: now for real-time, now+window for near-real-time, the next cron time for batch. */
  notBefore: number;
}

/** The columns ready() reads, in this order; rows come back as arrays (no object per row to build). */
const READY_COLUMNS = 'seq, flow_id, sync_id, direction, event_id, system, entity, key, op, fields, source_time, capture_time, origin, version, attempts, not_before, last_error, first_failed_at, replay';

type RawRow = [
  seq: number,
  flowId: string,
  syncId: string,
  direction: string,
  eventId: string,
  system: string,
  entity: string,
  key: string,
  op: string,
  fields: string,
  sourceTime: number,
  captureTime: number,
  origin: string,
  version: number | null,
  attempts: number,
  notBefore: number,
  lastError: string | null,
  firstFailedAt: number | null,
  replay: number,
];

/** Plain text of recently added rows' fields kept in memory, in characters (sealed and plain counted). */
const OPENED_BUDGET_CHARS = 16_000_000;

/**
 * The fields of rows this process added, in clear, so the apply loop reading them back a moment
 * later does not decrypt what it has just encrypted. An entry counts only while the row still holds
 * the very sealed text it was made for: every seal draws a new nonce, so a rolled-back insert whose
 * seq is taken again by another row can never be served the wrong fields.
 */
class OpenedFields {
  private readonly entries = new Map<number, { sealed: string; plain: string }>();
  private chars = 0;

  remember(seq: number, sealed: string, plain: string): void {
    this.forget(seq);
    this.entries.set(seq, { sealed, plain });
    this.chars += sealed.length + plain.length;
    for (const [oldest, e] of this.entries) {
      if (this.chars <= OPENED_BUDGET_CHARS) break;
      this.entries.delete(oldest);
      this.chars -= e.sealed.length + e.plain.length;
    }
  }

  /** The plain text of `sealed` when it is the text remembered for this row. */
  plainOf(seq: number, sealed: string): string | undefined {
    const e = this.entries.get(seq);
    return e !== undefined && e.sealed === sealed ? e.plain : undefined;
  }

  forget(seq: number): void {
    const e = this.entries.get(seq);
    if (!e) return;
    this.entries.delete(seq);
    this.chars -= e.sealed.length + e.plain.length;
  }

  clear(): void {
    this.entries.clear();
    this.chars = 0;
  }
}

/** Rows held in memory for the apply loop, in characters (field text plus a fixed allowance per row). */
const MIRROR_BUDGET_CHARS = 16_000_000;
const MIRROR_ROW_CHARS = 256;

/**
 * The inbox rows of one flow, in inbox order, held in memory while this process knows they are
 * exactly the rows the inbox holds for that flow: the apply loop then takes them from here instead
 * of selecting, decrypting and parsing what was just written. Rows reach it only once their
 * transaction has committed.
 */
interface FlowMirror {
  /** seq → row; a Map iterates in insertion order, which is seq order (seqs only grow: AUTOINCREMENT). */
  rows: Map<number, MirroredRow>;
  chars: number;
}

interface MirroredRow {
  flowId: string;
  row: InboxRow;
  /** What the row counts against MIRROR_BUDGET_CHARS. */
  chars: number;
}

/**
 * Whether JSON.parse(JSON.stringify(v)) gives back an equal value: plain objects and arrays of
 * strings, finite numbers, booleans and null. Such fields are kept as they are instead of parsed
 * again from their text (a Date, a Buffer, -0, NaN or undefined would change on the way).
 */
function survivesJson(v: unknown, depth = 0): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (depth > 32) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !survivesJson(v[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in v) if (!survivesJson((v as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

function toRow(r: RawRow, cipher: DataCipher, opened: OpenedFields): InboxRow {
  const event: ChangeEvent = {
    eventId: r[4],
    system: r[5],
    entity: r[6],
    key: r[7],
    op: r[8] as ChangeEvent['op'],
    fields: JSON.parse(opened.plainOf(r[0], r[9]) ?? cipher.open(r[9], FIELDS_CONTEXT)) as Record<string, unknown>,
    sourceTime: r[10],
    captureTime: r[11],
    origin: r[12],
  };
  if (r[13] !== null) event.version = r[13];
  return {
    seq: r[0],
    flowId: r[1],
    syncId: r[2],
    direction: r[3] as DirectionKey,
    event,
    attempts: r[14],
    notBefore: r[15],
    lastError: cipher.openOrNull(r[16], ERROR_CONTEXT),
    firstFailedAt: r[17],
    replay: r[18] === 1,
  };
}

export class InboxRepo {
  private readonly opened = new OpenedFields();
  /** Flows whose inbox rows are all held in memory (see FlowMirror); a flow not here is read with a query. */
  private readonly mirrors = new Map<string, FlowMirror>();
  /** Rows added in the open transaction, for the mirrors once it commits. */
  private staged: MirroredRow[] = [];
  private readonly dataVersion;
  private seenDataVersion: unknown;
  private readonly insertDedupe;
  private readonly insertRow;
  private readonly selectReady;
  private readonly selectReadySimple;
  private readonly selectReadyExcept;
  private readonly anyWaiting;
  private readonly insertRowAt;
  private readonly countHeld;
  private readonly deleteRow;
  private readonly deleteRows;
  private readonly rescheduleRow;
  private readonly countPending;
  private readonly countPendingRoute;
  private readonly selectNextWake;
  private readonly pruneDedupe;

  constructor(
    private readonly db: Db,
    private readonly cipher: DataCipher,
  ) {
    this.insertDedupe = db.prepare('INSERT OR IGNORE INTO dedupe_keys (flow_id, event_id, seen_at) VALUES (?, ?, ?)');
    this.insertRow = db.prepare(
      `INSERT INTO inbox (flow_id, sync_id, direction, event_id, system, entity, key, op, fields, source_time, capture_time, origin, version, not_before, replay)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A row is ready when its time has come, no earlier row of the same record on the same route is
    // still waiting (retry backoff), and no earlier change of that record failed into the DLQ (see
    // holdsBack). Per-record order holds across retries and failures: a partial change never lands
    // on top of a missing one.
    this.selectReady = db.prepare(
      `SELECT ${READY_COLUMNS} FROM inbox i INDEXED BY inbox_flow_seq WHERE i.flow_id = @flowId AND i.not_before <= @now
         AND NOT EXISTS (SELECT 1 FROM inbox w WHERE w.flow_id = i.flow_id AND w.sync_id = i.sync_id AND w.direction = i.direction
                           AND w.key = i.key AND w.seq < i.seq AND w.not_before > @now)
         AND NOT EXISTS (SELECT 1 FROM dlq d WHERE ${holdsBack('d', 'i')})
       ORDER BY i.seq LIMIT @limit`,
    ).raw();
    // While a target is unavailable its routes are paused: their rows are skipped as a whole (they
    // neither apply nor block), so the ordering check only looks within the routes that run.
    this.selectReadyExcept = db.prepare(
      `SELECT ${READY_COLUMNS} FROM inbox i INDEXED BY inbox_flow_seq WHERE i.flow_id = @flowId AND i.not_before <= @now
         AND (i.sync_id || '|' || i.direction) NOT IN (SELECT value FROM json_each(@paused))
         AND NOT EXISTS (SELECT 1 FROM inbox w WHERE w.flow_id = i.flow_id AND w.sync_id = i.sync_id AND w.direction = i.direction
                           AND w.key = i.key AND w.seq < i.seq AND w.not_before > @now)
         AND NOT EXISTS (SELECT 1 FROM dlq d WHERE d.flow_id = i.flow_id AND d.sync_id = i.sync_id AND d.direction = i.direction
                           AND d.key = i.key AND d.error_class <> 'conflict')
       ORDER BY i.seq LIMIT @limit`,
    ).raw();
    this.selectReadySimple = db.prepare(`SELECT ${READY_COLUMNS} FROM inbox INDEXED BY inbox_flow_seq WHERE flow_id = ? AND not_before <= ? ORDER BY seq LIMIT ?`).raw();
    this.anyWaiting = db
      .prepare(`SELECT 1 FROM inbox WHERE flow_id = @flowId AND not_before > @now UNION ALL SELECT 1 FROM dlq WHERE flow_id = @flowId AND error_class <> 'conflict' LIMIT 1`)
      .pluck();
    this.insertRowAt = db.prepare(
      `INSERT OR IGNORE INTO inbox (seq, flow_id, sync_id, direction, event_id, system, entity, key, op, fields, source_time, capture_time, origin, version, not_before, replay)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.countHeld = db.prepare(
      `SELECT COUNT(*) FROM inbox i WHERE i.flow_id = ? AND EXISTS (SELECT 1 FROM dlq d WHERE ${holdsBack('d', 'i')})`,
    ).pluck();
    this.deleteRow = db.prepare('DELETE FROM inbox WHERE seq = ?');
    this.deleteRows = db.prepare('DELETE FROM inbox WHERE seq IN (SELECT value FROM json_each(?))');
    this.rescheduleRow = db.prepare('UPDATE inbox SET attempts = ?, not_before = ?, last_error = ?, first_failed_at = COALESCE(first_failed_at, ?) WHERE seq = ?');
    this.countPending = db.prepare('SELECT COUNT(*) AS n FROM inbox WHERE flow_id = ?');
    this.countPendingRoute = db.prepare('SELECT COUNT(*) AS n FROM inbox WHERE flow_id = ? AND sync_id = ? AND direction = ?');
    this.selectNextWake = db.prepare('SELECT MIN(not_before) AS t FROM inbox WHERE flow_id = ? AND not_before > ?');
    this.pruneDedupe = db.prepare('DELETE FROM dedupe_keys WHERE seen_at < ?');
    // Changes when another connection (a CLI command) commits: the mirrors cannot know what it did.
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.seenDataVersion = this.dataVersion.get();
  }

  /**
   * Records an event as seen; false when its eventId was seen before (a redelivery).
   * Must run inside the caller's transaction together with addRoute and the checkpoint.
   */
  markSeen(flowId: string, eventId: string, now: number): boolean {
    return this.insertDedupe.run(flowId, eventId, now).changes === 1;
  }

  /**
   * Queue a change. `at`: the inbox position to take (a replayed change's original one, so that it
   * applies before the later changes of its record that waited behind it); when taken, a new one.
   */
  add(flowId: string, event: ChangeEvent, route: Route, replay = false, at?: number): void {
    const plain = JSON.stringify(event.fields);
    const sealed = this.cipher.seal(plain, FIELDS_CONTEXT);
    const version = event.version ?? null;
    const rep = replay ? 1 : 0;
    // The values are passed as they are (no array to spread): this runs once per captured change.
    let seq: number;
    if (
      at !== undefined &&
      this.insertRowAt.run(at, flowId, route.syncId, route.direction, event.eventId, event.system, event.entity, event.key, event.op, sealed, event.sourceTime, event.captureTime, event.origin, version, route.notBefore, rep).changes === 1
    ) {
      seq = at;
      // Back at its old position, ahead of rows the mirror holds after it.
      this.mirrors.delete(flowId);
    } else {
      const info = this.insertRow.run(flowId, route.syncId, route.direction, event.eventId, event.system, event.entity, event.key, event.op, sealed, event.sourceTime, event.captureTime, event.origin, version, route.notBefore, rep);
      seq = Number(info.lastInsertRowid);
    }
    // A mirrored row is read from memory; the clear text is kept only for rows the query will read.
    if (this.mirrors.has(flowId)) this.stage(flowId, seq, event, route, replay, plain);
    else if (sealed !== plain) this.opened.remember(seq, sealed, plain);
  }

  /** Keep a new row for the mirror of its flow, to be published when its transaction commits. */
  private stage(flowId: string, seq: number, e: ChangeEvent, route: Route, replay: boolean, plain: string): void {
    // The same event the query would rebuild from the row (only the stored properties).
    const event: ChangeEvent = {
      eventId: e.eventId,
      system: e.system,
      entity: e.entity,
      key: e.key,
      op: e.op,
      fields: survivesJson(e.fields) ? e.fields : (JSON.parse(plain) as Record<string, unknown>),
      sourceTime: e.sourceTime,
      captureTime: e.captureTime,
      origin: e.origin,
    };
    if (e.version !== undefined && e.version !== null && !Number.isNaN(e.version)) event.version = e.version;
    const row: InboxRow = { seq, flowId, syncId: route.syncId, direction: route.direction, event, attempts: 0, notBefore: route.notBefore, lastError: null, firstFailedAt: null, replay };
    this.staged.push({ flowId, row, chars: plain.length + MIRROR_ROW_CHARS });
    if (!this.db.inTransaction) this.committed();
  }

  /** The open transaction committed (Store.transaction): its new rows join their flows' mirrors. */
  committed(): void {
    if (this.staged.length === 0) return;
    const staged = this.staged;
    this.staged = [];
    for (const e of staged) {
      const m = this.mirrors.get(e.flowId);
      if (!m) continue;
      if (m.chars + e.chars > MIRROR_BUDGET_CHARS) {
        // Too much to hold: the query reads this flow until its inbox is nearly empty again.
        this.mirrors.delete(e.flowId);
        continue;
      }
      m.rows.set(e.row.seq, e);
      m.chars += e.chars;
    }
  }

  /** A transaction (or a part of one) rolled back: what the mirrors hold may no longer be what the inbox holds. */
  rolledBack(): void {
    this.staged = [];
    this.mirrors.clear();
  }

  /** Rows held behind a failed change of their record (in the DLQ). */
  held(flowId: string): number {
    return this.countHeld.get(flowId) as number;
  }

  /** Rows that may be applied now, in inbox order; `paused` lists routes (`sync|direction`) to leave alone. */
  ready(flowId: string, now: number, limit: number, paused: readonly string[] = []): InboxRow[] {
    this.checkMirrors();
    if (paused.length > 0) return this.toRows(this.selectReadyExcept.all({ flowId, now, limit, paused: JSON.stringify(paused) }) as RawRow[]);
    if (this.anyWaiting.get({ flowId, now })) return this.toRows(this.selectReady.all({ flowId, now, limit }) as RawRow[]);
    // Usually nothing waits (real-time, no retries, no failed records): then plain inbox order is the answer.
    const m = this.mirrors.get(flowId);
    if (m) {
      // The count guards against a write this repo did not see (none is expected): a mismatch drops the mirror.
      if (m.rows.size === this.pending(flowId)) {
        const out: InboxRow[] = [];
        for (const e of m.rows.values()) {
          if (out.length === limit) break;
          out.push(e.row);
        }
        return out;
      }
      this.mirrors.delete(flowId);
    }
    const raw = this.selectReadySimple.all(flowId, now, limit) as RawRow[];
    const rows = this.toRows(raw);
    if (rows.length < limit && !this.db.inTransaction) {
      // Nothing waits and fewer than `limit` rows are ready: these are all the flow's rows. From here
      // the mirror follows every add and remove.
      const m: FlowMirror = { rows: new Map(), chars: 0 };
      for (let i = 0; i < rows.length; i++) {
        const e = { flowId, row: rows[i]!, chars: raw[i]![9].length + MIRROR_ROW_CHARS };
        m.rows.set(e.row.seq, e);
        m.chars += e.chars;
      }
      if (m.chars <= MIRROR_BUDGET_CHARS) this.mirrors.set(flowId, m);
    }
    return rows;
  }

  private toRows(raw: RawRow[]): InboxRow[] {
    return raw.map((r) => toRow(r, this.cipher, this.opened));
  }

  /** Drop every mirror when another connection committed, or rows were staged outside Store.transaction. */
  private checkMirrors(): void {
    const v = this.dataVersion.get();
    if (v !== this.seenDataVersion || (this.staged.length > 0 && !this.db.inTransaction)) {
      this.seenDataVersion = v;
      this.rolledBack();
    }
  }

  remove(seq: number): void {
    this.deleteRow.run(seq);
    this.opened.forget(seq);
    this.unmirror(seq);
  }

  private unmirror(seq: number): void {
    for (const m of this.mirrors.values()) {
      const e = m.rows.get(seq);
      if (!e) continue;
      m.rows.delete(seq);
      m.chars -= e.chars;
      return;
    }
  }

  /** How SQLite runs the two ready queries, one line per step (a check that neither sorts the backlog). */
  explainReady(): string[] {
    const plan = (sql: string, ...params: unknown[]) => (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
    return [...plan(this.selectReady.source, { flowId: '', now: 0, limit: 1 }), ...plan(this.selectReadySimple.source, '', 0, 1)];
  }

  /** Remove settled rows: one statement for a batch instead of one per row. */
  removeMany(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    if (seqs.length === 1) this.deleteRow.run(seqs[0]);
    else this.deleteRows.run(JSON.stringify(seqs));
    for (const seq of seqs) {
      this.opened.forget(seq);
      this.unmirror(seq);
    }
  }

  reschedule(seq: number, attempts: number, notBefore: number, lastError: string, now: number): void {
    this.rescheduleRow.run(attempts, notBefore, this.cipher.seal(lastError, ERROR_CONTEXT), now, seq);
    // The row changed under the mirror (attempts, error, time): read with the query until it is gone.
    this.mirrors.clear();
  }

  pending(flowId: string): number {
    return (this.countPending.get(flowId) as { n: number }).n;
  }

  pendingFor(flowId: string, syncId: string, direction: string): number {
    return (this.countPendingRoute.get(flowId, syncId, direction) as { n: number }).n;
  }

  /** The earliest future time a row becomes ready, to arm a timer. */
  nextWake(flowId: string, now: number): number | null {
    return (this.selectNextWake.get(flowId, now) as { t: number | null }).t;
  }

  pruneSeen(olderThan: number): number {
    return this.pruneDedupe.run(olderThan).changes;
  }

  clearFlow(flowId: string): void {
    this.db.prepare('DELETE FROM inbox WHERE flow_id = ?').run(flowId);
    this.db.prepare('DELETE FROM dedupe_keys WHERE flow_id = ?').run(flowId);
    this.db.prepare('DELETE FROM capture_positions WHERE flow_id = ?').run(flowId);
    this.opened.clear();
    this.mirrors.delete(flowId);
  }
}

export function routeKey(syncId: string, direction: string, key: string): string {
  return `${syncId}\u0000${direction}\u0000${key}`;
}
