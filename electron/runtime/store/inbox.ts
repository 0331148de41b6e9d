import type { Db } from './database.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { DirectionKey } from '../../../shared/api/contract.js';

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

interface RawRow {
  seq: number;
  flow_id: string;
  sync_id: string;
  direction: string;
  event_id: string;
  system: string;
  entity: string;
  key: string;
  op: string;
  fields: string;
  source_time: number;
  capture_time: number;
  origin: string;
  version: number | null;
  attempts: number;
  not_before: number;
  last_error: string | null;
  first_failed_at: number | null;
  replay: number;
}

function toRow(r: RawRow): InboxRow {
  const event: ChangeEvent = {
    eventId: r.event_id,
    system: r.system,
    entity: r.entity,
    key: r.key,
    op: r.op as ChangeEvent['op'],
    fields: JSON.parse(r.fields) as Record<string, unknown>,
    sourceTime: r.source_time,
    captureTime: r.capture_time,
    origin: r.origin,
  };
  if (r.version !== null) event.version = r.version;
  return {
    seq: r.seq,
    flowId: r.flow_id,
    syncId: r.sync_id,
    direction: r.direction as DirectionKey,
    event,
    attempts: r.attempts,
    notBefore: r.not_before,
    lastError: r.last_error,
    firstFailedAt: r.first_failed_at,
    replay: r.replay === 1,
  };
}

export class InboxRepo {
  private readonly insertDedupe;
  private readonly insertRow;
  private readonly selectReady;
  private readonly selectReadySimple;
  private readonly anyWaiting;
  private readonly deleteRow;
  private readonly rescheduleRow;
  private readonly countPending;
  private readonly countPendingRoute;
  private readonly selectNextWake;
  private readonly pruneDedupe;

  constructor(private readonly db: Db) {
    this.insertDedupe = db.prepare('INSERT OR IGNORE INTO dedupe_keys (flow_id, event_id, seen_at) VALUES (?, ?, ?)');
    this.insertRow = db.prepare(
      `INSERT INTO inbox (flow_id, sync_id, direction, event_id, system, entity, key, op, fields, source_time, capture_time, origin, version, not_before, replay)
       VALUES (@flowId, @syncId, @direction, @eventId, @system, @entity, @key, @op, @fields, @sourceTime, @captureTime, @origin, @version, @notBefore, @replay)`,
    );
    // A row is ready when its time has come and no earlier row of the same record on the same route
    // is still waiting (retry backoff): per-key order holds even across retries.
    this.selectReady = db.prepare(
      `SELECT * FROM inbox i WHERE i.flow_id = @flowId AND i.not_before <= @now
         AND NOT EXISTS (SELECT 1 FROM inbox w WHERE w.flow_id = i.flow_id AND w.sync_id = i.sync_id AND w.direction = i.direction
                           AND w.key = i.key AND w.seq < i.seq AND w.not_before > @now)
       ORDER BY i.seq LIMIT @limit`,
    );
    this.selectReadySimple = db.prepare('SELECT * FROM inbox WHERE flow_id = ? AND not_before <= ? ORDER BY seq LIMIT ?');
    this.anyWaiting = db.prepare('SELECT 1 FROM inbox WHERE flow_id = ? AND not_before > ? LIMIT 1').pluck();
    this.deleteRow = db.prepare('DELETE FROM inbox WHERE seq = ?');
    this.rescheduleRow = db.prepare('UPDATE inbox SET attempts = ?, not_before = ?, last_error = ?, first_failed_at = COALESCE(first_failed_at, ?) WHERE seq = ?');
    this.countPending = db.prepare('SELECT COUNT(*) AS n FROM inbox WHERE flow_id = ?');
    this.countPendingRoute = db.prepare('SELECT COUNT(*) AS n FROM inbox WHERE flow_id = ? AND sync_id = ? AND direction = ?');
    this.selectNextWake = db.prepare('SELECT MIN(not_before) AS t FROM inbox WHERE flow_id = ? AND not_before > ?');
    this.pruneDedupe = db.prepare('DELETE FROM dedupe_keys WHERE seen_at < ?');
  }

  /**
   * Records an event as seen; false when its eventId was seen before (a redelivery).
   * Must run inside the caller's transaction together with addRoute and the checkpoint.
   */
  markSeen(flowId: string, eventId: string, now: number): boolean {
    return this.insertDedupe.run(flowId, eventId, now).changes === 1;
  }

  add(flowId: string, event: ChangeEvent, route: Route, replay = false): void {
    this.insertRow.run({
      flowId,
      syncId: route.syncId,
      direction: route.direction,
      eventId: event.eventId,
      system: event.system,
      entity: event.entity,
      key: event.key,
      op: event.op,
      fields: JSON.stringify(event.fields),
      sourceTime: event.sourceTime,
      captureTime: event.captureTime,
      origin: event.origin,
      version: event.version ?? null,
      notBefore: route.notBefore,
      replay: replay ? 1 : 0,
    });
  }

  ready(flowId: string, now: number, limit: number): InboxRow[] {
    // Usually nothing waits (real-time, no retries): then plain inbox order is the answer.
    const rows = this.anyWaiting.get(flowId, now) ? this.selectReady.all({ flowId, now, limit }) : this.selectReadySimple.all(flowId, now, limit);
    return (rows as RawRow[]).map(toRow);
  }

  remove(seq: number): void {
    this.deleteRow.run(seq);
  }

  reschedule(seq: number, attempts: number, notBefore: number, lastError: string, now: number): void {
    this.rescheduleRow.run(attempts, notBefore, lastError, now, seq);
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
  }
}

export function routeKey(syncId: string, direction: string, key: string): string {
  return `${syncId}\u0000${direction}\u0000${key}`;
}
