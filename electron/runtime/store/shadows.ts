import type { Db } from './database.js';
import { TxCache } from './tx-cache.js';
import type { DataCipher } from './data-cipher.js';

/** Associated data of a sealed shadow: the record it belongs to, so it cannot be moved to another. */
const contextOf = (flowId: string, system: string, entity: string, key: string): string => `shadows\u0000${flowId}\u0000${system}\u0000${entity}\u0000${key}`;

/**
 * What the runtime last knew of one record in one system, per field: the value, when it last changed
 * (the changer's clock), and whether that change was the runtime's own write (`sync`) or the
 * system's (`self`). Echo suppression, staleness and conflict detection all read this.
 */
export interface FieldShadow {
  v: unknown;
  t: number;
  by: 'self' | 'sync';
  /**
   * Values the runtime wrote to a system that does not tag our writes, oldest first, whose echoes
   * have not come back yet. An incoming value equal to one of them is that write's echo (a CDC
   * source returns every intermediate write, a poller only the last), not a change.
   */
  p?: unknown[];
  /** The record version the write that set this value produced (systems with versions only). */
  w?: number;
}

/** How many unacknowledged writes per field are remembered for echo matching. */
export const MAX_PENDING_ECHOES = 16;

export interface RecordShadow {
  fields: Record<string, FieldShadow>;
  /** Highest record version seen (updatedAt, xmin…), to drop out-of-order deliveries. */
  version?: number;
  /** The newest source time of any change seen from the system itself, changed values or not. */
  seen?: number;
  /**
   * Record versions our recent writes produced (oldest first), where the system reports versions:
   * an event with one of them is our own write coming back; one below the newest precedes our write.
   */
  written?: number[];
}

export class ShadowRepo {
  /** Shadows are read twice and written twice per change: kept in memory, written through. */
  readonly cache = new TxCache<RecordShadow>(100_000);
  private readonly getStmt;
  private readonly putStmt;
  private readonly deleteStmt;
  private readonly manyStmt;

  constructor(
    db: Db,
    private readonly cipher: DataCipher,
  ) {
    this.getStmt = db.prepare('SELECT state FROM shadows WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?');
    this.putStmt = db.prepare(
      `INSERT INTO shadows (flow_id, system, entity, key, state) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (flow_id, system, entity, key) DO UPDATE SET state = excluded.state`,
    );
    this.deleteStmt = db.prepare('DELETE FROM shadows WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?');
    this.manyStmt = db.prepare('SELECT key, state FROM shadows WHERE flow_id = ? AND system = ? AND entity = ? AND key IN (SELECT value FROM json_each(?))').raw();
  }

  /** Load many records' shadows into the cache with one query; absent ones are remembered as such. */
  prefetch(flowId: string, system: string, entity: string, keys: Iterable<string>): void {
    this.cache
      .scope(flowId, system, entity)
      .prefetch(keys, (missing) => new Map((this.manyStmt.all(flowId, system, entity, JSON.stringify(missing)) as [string, string][]).map(([k, state]) => [k, JSON.parse(this.cipher.open(state, contextOf(flowId, system, entity, k))) as RecordShadow])));
  }

  /** Shadows are shared, immutable values: callers make new objects rather than change these. */
  get(flowId: string, system: string, entity: string, key: string): RecordShadow | null {
    const scope = this.cache.scope(flowId, system, entity);
    const cached = scope.get(key);
    if (cached !== undefined) return cached;
    const row = this.getStmt.get(flowId, system, entity, key) as { state: string } | undefined;
    const v = row ? (JSON.parse(this.cipher.open(row.state, contextOf(flowId, system, entity, key))) as RecordShadow) : null;
    scope.fill(key, v);
    return v;
  }

  put(flowId: string, system: string, entity: string, key: string, shadow: RecordShadow): void {
    this.putStmt.run(flowId, system, entity, key, this.cipher.seal(JSON.stringify(shadow), contextOf(flowId, system, entity, key)));
    this.cache.scope(flowId, system, entity).set(key, shadow);
  }

  remove(flowId: string, system: string, entity: string, key: string): void {
    this.deleteStmt.run(flowId, system, entity, key);
    this.cache.scope(flowId, system, entity).set(key, null);
  }
}
