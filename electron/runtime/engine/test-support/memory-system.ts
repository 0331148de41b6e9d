import type { CapturedChange, Connector, EntityInfo, SourceRecord, WriteOp, WriteResult } from '../../connectors/types.js';
import { normalizeMatch } from '../values.js';

/**
 * An in-memory system for the engine's property tests (never used by the product): records, a
 * change log with a monotonically increasing position, and a write log so tests can check what the
 * engine wrote and in which order. Like a plain SQL database it does NOT deduplicate by idempotency
 * key, so a duplicate apply is visible.
 */
export interface LoggedChange {
  pos: number;
  entity: string;
  key: string;
  op: 'upsert' | 'delete';
  fields: Record<string, unknown>;
  time: number;
  origin: string;
  version: number;
  /** Whether the runtime's write made this change (known to the test, whatever the system tags). */
  byRuntime: boolean;
  /** For a runtime write: the idempotency key of the op that made it. */
  opKey?: string;
  /** The change carries only the fields it changed (userPatch). */
  partial?: boolean;
}

export interface AppliedWrite {
  entity: string;
  key: string;
  op: WriteOp;
  /** Whether the write changed the record (an identical rewrite does not; the writers skip those). */
  changed: boolean;
}

export class MemorySystem {
  readonly records = new Map<string, Map<string, Record<string, unknown>>>();
  readonly log: LoggedChange[] = [];
  readonly writes: AppliedWrite[] = [];
  private nextKey = 1000;
  /** Creates by idempotency key, as an API with idempotency keys remembers them: a retry never creates twice. */
  private readonly createdBy = new Map<string, string>();
  private versions = new Map<string, number>();
  /** Make the next N write calls fail with this error class (transient/permanent). */
  failNext: { count: number; errorClass: 'transient' | 'permanent' | 'validation' | 'unavailable' } | null = null;
  /** While set, the system is down: every write and read fails as unavailable (like a refused connection). */
  down: string | null = null;
  /** Calls a write needed refused while down: the write, or the engine's match read before it (probes included). */
  refusedCalls = 0;
  /** A validation rule of the target: writes setting `field` to `value` are rejected, deterministically. */
  reject: { field: string; value: unknown } | null = null;

  constructor(
    readonly id: string,
    private readonly clock: () => number,
    /** Whether the system tags changes made by the runtime with its origin (like Postgres replication origins). */
    readonly tagsOrigin: boolean,
  ) {}

  table(entity: string): Map<string, Record<string, unknown>> {
    let t = this.records.get(entity);
    if (!t) this.records.set(entity, (t = new Map()));
    return t;
  }

  private append(entity: string, key: string, op: 'upsert' | 'delete', fields: Record<string, unknown>, origin: string, opKey?: string, partial = false): void {
    const vk = `${entity}:${key}`;
    const version = (this.versions.get(vk) ?? 0) + 1;
    this.versions.set(vk, version);
    const entry: LoggedChange = { pos: this.log.length + 1, entity, key, op, fields: { ...fields }, time: this.clock(), origin, version, byRuntime: opKey !== undefined };
    if (opKey !== undefined) entry.opKey = opKey;
    if (partial) entry.partial = true;
    this.log.push(entry);
  }

  versionOf(entity: string, key: string): number {
    return this.versions.get(`${entity}:${key}`) ?? 0;
  }

  /** An outside user edits a record. */
  userUpsert(entity: string, key: string, patch: Record<string, unknown>): void {
    const t = this.table(entity);
    const next = { ...(t.get(key) ?? {}), ...patch };
    t.set(key, next);
    this.append(entity, key, 'upsert', next, 'user');
  }

  /**
   * An outside user edits some fields, and the change carries only those (as Postgres leaves an
   * unchanged TOASTed column out of an UPDATE): applied on top of a missing earlier change, it
   * leaves the target with stale values in the fields it does not carry.
   */
  userPatch(entity: string, key: string, patch: Record<string, unknown>): void {
    const t = this.table(entity);
    const prev = t.get(key);
    if (!prev) return;
    t.set(key, { ...prev, ...patch });
    this.append(entity, key, 'upsert', patch, 'user', undefined, true);
  }

  userDelete(entity: string, key: string): void {
    const t = this.table(entity);
    const prev = t.get(key);
    if (!prev) return;
    t.delete(key);
    this.append(entity, key, 'delete', {}, 'user');
  }

  /** Changes after `pos`, as a connector would capture them. */
  changesSince(pos: number, limit: number): CapturedChange[] {
    return this.log.slice(pos, pos + limit).map((c) => ({
      eventId: `${this.id}:${c.pos}`,
      entity: c.entity,
      key: c.key,
      op: c.op,
      fields: c.fields,
      sourceTime: c.time,
      origin: c.origin,
      version: c.version,
    }));
  }

  connector(entities: EntityInfo[]): Connector {
    const self = this;
    return {
      async testConnection() {
        return { ok: true, message: 'in-memory system', checks: [] };
      },
      async discover() {
        return entities;
      },
      async readSamples(entity: string, limit: number): Promise<SourceRecord[]> {
        return [...self.table(entity)].slice(0, limit).map(([key, fields]) => ({ key, fields }));
      },
      async readByKeys(entity: string, keys: string[]): Promise<SourceRecord[]> {
        if (self.down) throw new Error(self.down);
        const t = self.table(entity);
        return keys.filter((k) => t.has(k)).map((k) => ({ key: k, fields: t.get(k)! }));
      },
      async findByField(entity, field, values, normalize): Promise<SourceRecord[]> {
        // Classified like the real connectors' reads: the engine pauses the edge, as for a write.
        if (self.down) {
          self.refusedCalls++;
          throw Object.assign(new Error(self.down), { errorClass: 'unavailable' });
        }
        const want = new Set(values.map((v) => normalizeMatch(v, normalize)));
        return [...self.table(entity)].filter(([, r]) => want.has(normalizeMatch(r[field], normalize))).map(([key, fields]) => ({ key, fields }));
      },
      async startCapture() {
        return { stop: async () => {} };
      },
      async write(entity: string, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
        if (self.down) {
          self.refusedCalls++;
          const message = self.down;
          return ops.map(() => ({ ok: false, error: { errorClass: 'unavailable', message } }));
        }
        if (self.failNext && self.failNext.count > 0) {
          self.failNext.count--;
          const errorClass = self.failNext.errorClass;
          if (self.failNext.count === 0) self.failNext = null;
          return ops.map(() => ({ ok: false, error: { errorClass, message: `simulated ${errorClass} failure` } }));
        }
        const t = self.table(entity);
        const tag = self.tagsOrigin ? origin : 'user';
        return ops.map((op): WriteResult => {
          if (op.kind === 'delete') {
            if (!t.has(op.key)) return { ok: true, key: op.key, note: 'not-found' };
            self.writes.push({ entity, key: op.key, op, changed: true });
            t.delete(op.key);
            self.append(entity, op.key, 'delete', {}, tag, op.idempotencyKey);
            return { ok: true, key: op.key, version: self.versionOf(entity, op.key) };
          }
          if (self.reject && op.fields[self.reject.field] === self.reject.value) {
            return { ok: false, error: { errorClass: 'validation', message: `${self.reject.field} may not be ${String(self.reject.value)}`, response: '{"error":"invalid"}' } };
          }
          if (op.key !== null && op.ifMissing === 'skip' && !t.has(op.key)) return { ok: true, key: op.key, note: 'not-found' };
          if (op.key !== null && op.expect && t.has(op.key)) {
            // Compare-and-set, like the Postgres and SQLite writers: the row moved on since the change answered.
            const row = t.get(op.key)!;
            const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
            if (!Object.entries(op.expect).every(([f, v]) => same(row[f], v))) {
              return Object.entries(op.fields).every(([f, v]) => same(row[f], v)) ? { ok: true, key: op.key } : { ok: true, key: op.key, note: 'stale' };
            }
          }
          let key = op.key;
          if (key === null && self.createdBy.has(op.idempotencyKey)) {
            const made = self.createdBy.get(op.idempotencyKey)!;
            if (!t.has(made)) return { ok: true, key: made, note: 'not-found' };
            key = made;
          }
          // Like the real writers, no matching here: the engine found no record with op.match's
          // value (or none it may take), so a keyless op creates one.
          const created = key === null || !t.has(key);
          if (key === null) {
            key = String(self.nextKey++);
            self.createdBy.set(op.idempotencyKey, key);
          }
          const next = { ...(t.get(key) ?? {}), ...(created ? (op.insertOnly ?? {}) : {}), ...op.fields };
          const changed = created || Object.keys(next).some((f) => next[f] !== t.get(key!)![f]);
          t.set(key, next);
          self.writes.push({ entity, key, op, changed });
          // Like a trigger that logs only real changes (an identical rewrite is not a change).
          if (changed) self.append(entity, key, 'upsert', next, tag, op.idempotencyKey);
          // Like an API that reports the version a write produced: none when it changed nothing.
          return changed ? { ok: true, key, created, version: self.versionOf(entity, key) } : { ok: true, key, created };
        });
      },
      async close() {},
    };
  }
}
