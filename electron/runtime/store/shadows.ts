import type { Db } from './database.js';
import { TxCache } from './tx-cache.js';
import type { DataCipher } from './data-cipher.js';
import { exactText } from '../values/exact.js';
import { decodeShadow, encodeShadow } from './shadow-codec.js';

/** Associated data of a sealed shadow: the record it belongs to, so it cannot be moved to another. */
const contextOf = (flowId: string, system: string, entity: string, key: string): string => `shadows\u0000${flowId}\u0000${system}\u0000${entity}\u0000${key}`;
const valueContextOf = (flowId: string, system: string, entity: string, key: string, field: string): string => `shadow_values\u0000${flowId}\u0000${system}\u0000${entity}\u0000${key}\u0000${field}`;

/**
 * A field value whose text is at least this long is stored apart (table shadow_values) and written
 * only when it changes. Below it, a value costs less inline than a second row would.
 */
export const LARGE_SHADOW_VALUE_CHARS = 2048;

function isLarge(v: unknown): boolean {
  if (typeof v === 'string') return v.length >= LARGE_SHADOW_VALUE_CHARS;
  if (typeof v !== 'object' || v === null) return false;
  const text = exactText(v);
  return text !== null && text.length >= LARGE_SHADOW_VALUE_CHARS;
}

/** A field as the shadows table stores it: `x` marks a value kept in shadow_values (no `v` then). */
type StoredField = Omit<FieldShadow, 'v'> & { v?: unknown; x?: 1 };

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
  private readonly valuesStmt;
  private readonly apartFieldsStmt;
  private readonly manyValuesStmt;
  private readonly putValueStmt;
  private readonly deleteValueStmt;
  private readonly deleteValuesStmt;

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
    this.valuesStmt = db.prepare('SELECT key, field, value FROM shadow_values WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?').raw();
    this.apartFieldsStmt = db.prepare('SELECT field FROM shadow_values WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?').pluck();
    this.manyValuesStmt = db.prepare('SELECT key, field, value FROM shadow_values WHERE flow_id = ? AND system = ? AND entity = ? AND key IN (SELECT value FROM json_each(?))').raw();
    this.putValueStmt = db.prepare(
      `INSERT INTO shadow_values (flow_id, system, entity, key, field, value) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (flow_id, system, entity, key, field) DO UPDATE SET value = excluded.value`,
    );
    this.deleteValueStmt = db.prepare('DELETE FROM shadow_values WHERE flow_id = ? AND system = ? AND entity = ? AND key = ? AND field = ?');
    this.deleteValuesStmt = db.prepare('DELETE FROM shadow_values WHERE flow_id = ? AND system = ? AND entity = ? AND key = ?');
  }

  /** Load many records' shadows into the cache with one query; absent ones are remembered as such. */
  prefetch(flowId: string, system: string, entity: string, keys: Iterable<string>): void {
    this.cache.scope(flowId, system, entity).prefetch(keys, (missing) => {
      const found = new Map<string, RecordShadow>();
      const apart: string[] = [];
      for (const [k, state] of this.manyStmt.all(flowId, system, entity, JSON.stringify(missing)) as [string, string][]) {
        const shadow = decodeShadow(this.cipher.open(state, contextOf(flowId, system, entity, k)));
        found.set(k, shadow);
        if (hasApart(shadow)) apart.push(k);
      }
      if (apart.length > 0) this.join(flowId, system, entity, found, this.manyValuesStmt.all(flowId, system, entity, JSON.stringify(apart)) as [string, string, string][]);
      return found;
    });
  }

  /** Shadows are shared, immutable values: callers make new objects rather than change these. */
  get(flowId: string, system: string, entity: string, key: string): RecordShadow | null {
    const scope = this.cache.scope(flowId, system, entity);
    const cached = scope.get(key);
    if (cached !== undefined) return cached;
    const row = this.getStmt.get(flowId, system, entity, key) as { state: string } | undefined;
    const v = row ? decodeShadow(this.cipher.open(row.state, contextOf(flowId, system, entity, key))) : null;
    if (v && hasApart(v)) this.join(flowId, system, entity, new Map([[key, v]]), this.valuesStmt.all(flowId, system, entity, key) as [string, string, string][]);
    scope.fill(key, v);
    return v;
  }

  put(flowId: string, system: string, entity: string, key: string, shadow: RecordShadow): void {
    const scope = this.cache.scope(flowId, system, entity);
    // What the database holds now (the cache is written through): a large value it already holds
    // is not written again. Unknown (evicted), every large value is written and strays removed.
    const before = scope.get(key);
    // The very object the database holds (shadows are immutable): a decision that keeps what it
    // knew (stale, tombstoned, an echo by version) rewrites nothing.
    if (before === shadow) return;
    let stored: RecordShadow = shadow;
    let apart: Set<string> | null = null;
    for (const name in shadow.fields) {
      const f = shadow.fields[name]!;
      if (!isLarge(f.v)) continue;
      const { v, ...rest } = f;
      if (stored === shadow) stored = { ...shadow, fields: { ...shadow.fields } };
      stored.fields[name] = { ...rest, x: 1 } as StoredField as FieldShadow;
      (apart ??= new Set()).add(name);
      const held = before?.fields[name];
      if (held === undefined || !sameStored(held.v, v)) this.putValueStmt.run(flowId, system, entity, key, name, this.cipher.seal(JSON.stringify(v), valueContextOf(flowId, system, entity, key, name)));
    }
    if (before === undefined) {
      const strays = (this.apartFieldsStmt.all(flowId, system, entity, key) as string[]).filter((n) => !apart?.has(n));
      for (const n of strays) this.deleteValueStmt.run(flowId, system, entity, key, n);
    } else if (before !== null) {
      for (const name in before.fields) if (isLarge(before.fields[name]!.v) && !apart?.has(name)) this.deleteValueStmt.run(flowId, system, entity, key, name);
    }
    this.putStmt.run(flowId, system, entity, key, this.cipher.seal(encodeShadow(stored), contextOf(flowId, system, entity, key)));
    scope.set(key, shadow);
  }

  remove(flowId: string, system: string, entity: string, key: string): void {
    this.deleteStmt.run(flowId, system, entity, key);
    this.deleteValuesStmt.run(flowId, system, entity, key);
    this.cache.scope(flowId, system, entity).set(key, null);
  }

  /** Puts the values stored apart back into their shadows (as read, `x` marks where they go). */
  private join(flowId: string, system: string, entity: string, shadows: ReadonlyMap<string, RecordShadow>, rows: [string, string, string][]): void {
    for (const [k, field, value] of rows) {
      const f = shadows.get(k)?.fields[field] as StoredField | undefined;
      if (!f?.x) continue;
      f.v = JSON.parse(this.cipher.open(value, valueContextOf(flowId, system, entity, k, field)));
      delete f.x;
    }
    // A marked field whose value row is missing is forgotten rather than read as null: unknown, the
    // next change of it counts as a change (written again, idempotently), never as an echo.
    for (const shadow of shadows.values()) {
      for (const name in shadow.fields) if ((shadow.fields[name] as StoredField).x) delete shadow.fields[name];
    }
  }
}

function hasApart(shadow: RecordShadow): boolean {
  for (const name in shadow.fields) if ((shadow.fields[name] as StoredField).x) return true;
  return false;
}

/** The same value (usually the same object, carried over from the previous shadow). */
function sameStored(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}
