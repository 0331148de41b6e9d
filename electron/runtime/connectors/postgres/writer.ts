import pg from 'pg';
import { syncError, type SyncError } from '../../../../shared/errors.js';
import type { StoredForm, WriteOp, WriteResult } from '../types.js';
import { decodeKey, encodeKey, keyColumns, readTables, type ColumnInfo, type TableInfo } from './catalog.js';
import { querySessionConfig, type PostgresConfig } from './config.js';
import { classifyPgError, describePgError, isTransientPgError } from './errors.js';
import { lsnVersion } from './lsn.js';
import { matchUniqueness } from './match-uniqueness.js';
import { qualifiedTable, quoteIdent, writeOriginName } from './names.js';
import { showValue } from '../../values/exact.js';
import { NotJsonError } from '../../values/lossless-json.js';
import { encodeForColumn, type ColumnShape } from './type-mapping.js';

type UpsertOp = Extract<WriteOp, { kind: 'upsert' }>;
type DeleteOp = Extract<WriteOp, { kind: 'delete' }>;

/** A statement's outcome per op index; ops not in the map failed with the error thrown. */
type Outcomes = Map<number, WriteResult>;

class ValidationProblem extends Error {}

const TIME_TYPES = new Set(['timestamptz', 'timestamp', 'date']);
const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);
const TEXT_TYPES = new Set(['text', 'varchar']);
const CANONICAL_INTEGER = /^(0|-?[1-9]\d*)$/;
const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

function shapeOf(c: ColumnInfo): ColumnShape {
  return {
    json: c.typeName === 'json' || c.typeName === 'jsonb',
    array: c.category === 'A',
    elementJson: c.elementTypeName === 'json' || c.elementTypeName === 'jsonb',
  };
}

function column(table: TableInfo, name: string): ColumnInfo {
  const c = table.columns.find((x) => x.name === name);
  if (!c) {
    throw new ValidationProblem(`column "${name}" does not exist in table ${table.schema}.${table.table} (columns: ${table.columns.map((x) => x.name).join(', ')}): fix the field mapping`);
  }
  return c;
}

/**
 * SQL that is true when writing `next` would change a row's columns. Compared in each type's text
 * output, which is exact (numeric scale, -0, array bounds) and exists for every type, also for those
 * without an equality operator (json, point, xml).
 */
/**
 * The WAL insert position, read in RETURNING right after the row was written, is the version the
 * write reports (in the units change events carry, the commit LSN). Why it separates the events of
 * that row exactly: a transaction that changed the row and committed before our statement wrote its
 * commit record before we read the position, so its commit LSN is lower; one that changes the row
 * after us waits on our row lock until we commit, and our commit record lies after the position, so
 * its commit LSN is higher. The echo of our own write carries a version at or above it.
 */
const WRITE_POSITION = 'pg_current_wal_insert_lsn()::text';

function differs(columns: readonly ColumnInfo[], next: (c: ColumnInfo, j: number) => string): string {
  const now = columns.map((c) => `t.${quoteIdent(c.name)}::text`).join(', ');
  const then = columns.map((c, j) => `(${next(c, j)})::text`).join(', ');
  return `ROW(${now}) IS DISTINCT FROM ROW(${then})`;
}

/** The values a record created for `op` gets: its insert-only seeds, its fields, and its match value. */
function newRecord(op: UpsertOp, matchField: string): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...op.insertOnly, ...op.fields };
  if (!(matchField in fields)) fields[matchField] = op.match!.value;
  return fields;
}

/**
 * Advisory lock space of match values being created (the first key of the two-key form; the next
 * number is that of whole match columns): every SyncCanvas writer creating a record with a value in
 * a table takes the same lock, so two never create it twice. "SyCM".
 */
const MATCH_LOCK_SPACE = 0x5379434d;

/**
 * Beyond this many values a batch locks the whole (table, column) instead: every lock takes a slot
 * of the server's shared lock table (max_locks_per_transaction × connections), and a batch of
 * 1,000 creates must not exhaust it.
 */
const MATCH_LOCKS_PER_BATCH = 64;

/**
 * Locks the match values a transaction is about to create, for its duration: the (table, column) in
 * shared mode, then each value (its case-insensitive form, so writers matching exactly and
 * case-insensitively meet) in a fixed order, so two writers cannot deadlock; or, for a large batch,
 * the (table, column) alone in exclusive mode (`wholeColumn`: also when ops are applied one by one in
 * one transaction, whose value locks would add up; taking the same lock again adds none). The
 * statement that checks and inserts comes after, so it sees whatever a writer that held a lock first
 * committed.
 */
async function lockMatchValues(client: pg.Client, table: TableInfo, matchColumn: ColumnInfo, values: string[], wholeColumn: boolean): Promise<void> {
  const scope = `${table.oid}:${matchColumn.name}`;
  if (wholeColumn || values.length > MATCH_LOCKS_PER_BATCH) {
    await client.query({ text: `SELECT pg_advisory_xact_lock(${MATCH_LOCK_SPACE + 1}, hashtext($1))`, values: [scope] });
    return;
  }
  await client.query({
    // Append runs its branches in order: the shared lock is held before any value lock is asked for.
    text:
      `SELECT count(*) FROM (SELECT pg_advisory_xact_lock_shared(${MATCH_LOCK_SPACE + 1}, hashtext($1)) ` +
      `UNION ALL SELECT pg_advisory_xact_lock(${MATCH_LOCK_SPACE}, k) FROM (SELECT DISTINCT hashtext($1 || ':' || lower(btrim(v))) AS k FROM unnest($2::text[]) AS v ORDER BY k) AS s) AS l`,
    values: [scope, values],
  });
}

/** The engine's case-insensitive form of a match value (engine/values.ts normalizeMatch). */
const lowerTrim = (text: string): string => text.trim().toLowerCase();

/**
 * True when the insert can be `ON CONFLICT (col)` on the table's own unique index and that index
 * compares as the op matches (exactly): then it stops a second record by itself.
 */
function createIsRaceFree(table: TableInfo, op: UpsertOp): boolean {
  return op.match!.normalize === 'exact' && matchUniqueness(table, op.match!.field).index;
}

/** Creates with equal signatures insert the same columns and update the same ones on a match-field conflict. */
function createSignature(fields: Record<string, unknown>, op: UpsertOp): string {
  return `${Object.keys(fields).join('\u0000')}\u0001${Object.keys(op.fields).join('\u0000')}`;
}

/** Ops grouped by the field they match on (two syncs into one table may match by different fields). */
function byMatchField(ops: ReadonlyArray<readonly [number, UpsertOp]>): Map<string, Array<readonly [number, UpsertOp]>> {
  const out = new Map<string, Array<readonly [number, UpsertOp]>>();
  for (const entry of ops) {
    const field = entry[1].match!.field;
    const list = out.get(field);
    if (list) list.push(entry);
    else out.set(field, [entry]);
  }
  return out;
}

/**
 * Writes batches into one Postgres database over one session. The session carries a replication
 * origin, so a capture of this database with `origin = none` never sees our own writes (no echo).
 * Only one session may hold an origin, hence one connection, and writes are serialized on it.
 */
export class PostgresWriter {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly tables = new Map<string, TableInfo>();
  private sessionOrigin: string | null = null;
  /** Why writes are not origin-tagged, when they are not (privileges, origin held elsewhere). */
  originProblem: string | null = null;

  constructor(private readonly config: PostgresConfig, private readonly password: string | undefined, private readonly systemId: string) {}

  write(entity: string, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
    const run = this.tail.then(() => this.writeNow(entity, ops, origin));
    this.tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.tail.catch(() => {});
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async session(): Promise<pg.Client> {
    if (this.client) return this.client;
    if (!this.connecting) {
      this.connecting = (async () => {
        const client = new pg.Client(querySessionConfig(this.config, this.password));
        client.on('error', () => {
          if (this.client === client) this.client = null;
        });
        await client.connect();
        this.client = client;
        this.sessionOrigin = null;
        return client;
      })().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async setupOrigin(client: pg.Client, origin: string): Promise<void> {
    // One origin per writing system: sessions of two systems in one cluster may not share one.
    const name = writeOriginName(`${origin}@${this.systemId}`);
    if (this.sessionOrigin === name) return;
    try {
      if (this.sessionOrigin !== null) await client.query('SELECT pg_replication_origin_session_reset()');
      this.sessionOrigin = null;
      await client.query(
        `SELECT CASE WHEN pg_replication_origin_oid($1) IS NULL THEN pg_replication_origin_create($1) END`,
        [name],
      ).catch(async (err: { code?: string }) => {
        if (err.code !== '23505') throw err; // created concurrently by another session
      });
      await client.query('SELECT pg_replication_origin_session_setup($1)', [name]);
      this.sessionOrigin = name;
      this.originProblem = null;
    } catch (err) {
      // Every session tagged with an origin holds a replication origin state
      // (max_active_replication_origins from Postgres 18, max_replication_slots before); when the
      // server has none left, the database is still there: write untagged rather than
      // pausing the edge as if it were unreachable, and say what to raise.
      const slotsExhausted = (err as { code?: string }).code === '53400';
      if (isTransientPgError(err) && !slotsExhausted) throw err;
      // Untagged writes still work; the engine's shadow values then suppress the echo instead.
      this.sessionOrigin = name;
      this.originProblem = slotsExhausted
        ? `writes are not tagged with replication origin "${name}": the server has no replication origin state left (${describePgError(err)}); raise max_active_replication_origins (Postgres 18 and later; max_replication_slots before): each running flow that writes here uses one`
        : `writes are not tagged with replication origin "${name}": ${describePgError(err)} (grant EXECUTE on pg_replication_origin_create and pg_replication_origin_session_setup, see docs/connectors/postgres.md)`;
    }
  }

  /**
   * What each value would become in its column, as Postgres itself prints it (`$1::text::type`, then
   * back to text): a numeric into double precision shows its rounding, a timestamptz its zone. Reads
   * only; queued behind writes on the writer's session.
   */
  storedForms(entity: string, rows: Record<string, unknown>[]): Promise<Record<string, StoredForm>[]> {
    const run = this.tail.then(() => this.storedFormsNow(entity, rows));
    this.tail = run.catch(() => {});
    return run;
  }

  private async storedFormsNow(entity: string, rows: Record<string, unknown>[]): Promise<Record<string, StoredForm>[]> {
    const client = await this.session();
    const table = await this.table(client, entity);
    const out: Record<string, StoredForm>[] = [];
    for (const row of rows) {
      const forms: Record<string, StoredForm> = {};
      for (const [name, value] of Object.entries(row)) {
        const c = table.columns.find((x) => x.name === name);
        if (!c) {
          forms[name] = { refused: `column "${name}" does not exist in table ${table.schema}.${table.table}: fix the field mapping` };
          continue;
        }
        let text: string | null;
        try {
          text = encodeForColumn(value, shapeOf(c));
        } catch (e) {
          forms[name] = { refused: `column "${name}" (${c.nativeType}) cannot hold ${showValue(value)} exactly: ${(e as Error).message}` };
          continue;
        }
        if (text === null) {
          forms[name] = { stored: 'NULL' };
          continue;
        }
        try {
          const r = await client.query<{ v: string | null }>(`SELECT ($1::text::${c.nativeType})::text AS v`, [text]);
          forms[name] = { stored: r.rows[0]?.v ?? 'NULL' };
        } catch (err) {
          if (isTransientPgError(err)) throw err;
          const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
          forms[name] = { refused: `column "${name}" (${c.nativeType}) cannot take ${shown}: ${describePgError(err)}` };
        }
      }
      out.push(forms);
    }
    return out;
  }

  private async table(client: pg.Client, entity: string, refresh = false): Promise<TableInfo> {
    const cached = this.tables.get(entity);
    if (cached && !refresh) return cached;
    const [found] = await readTables(client, this.config.schemas, [entity]);
    if (!found) throw new ValidationProblem(`table ${entity} not found in schema(s) ${this.config.schemas.join(', ')} of database ${this.config.database}`);
    this.tables.set(entity, found);
    return found;
  }

  private async writeNow(entity: string, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
    if (ops.length === 0) return [];
    let client: pg.Client;
    try {
      client = await this.session();
      await this.setupOrigin(client, origin);
    } catch (err) {
      if (this.client) this.dropIfTimedOut(this.client, err);
      return ops.map(() => ({ ok: false, error: classifyPgError(err) }));
    }
    let table: TableInfo;
    try {
      table = await this.table(client, entity);
    } catch (err) {
      this.dropIfTimedOut(client, err);
      const error = err instanceof ValidationProblem ? syncError('validation', err.message) : classifyPgError(err);
      return ops.map(() => ({ ok: false, error }));
    }
    try {
      const entries = ops.map((op, i) => [i, op] as const);
      // One statement is atomic by itself; a transaction costs two more round trips per batch.
      if (this.isSingleStatement(table, ops)) return await this.apply(client, table, entries);
      return await this.inTransaction(client, () => this.apply(client, table, entries));
    } catch (err) {
      if (isTransientPgError(err)) {
        this.dropIfTimedOut(client, err);
        if (!this.isAlive(client)) this.client = null;
        const error = classifyPgError(err);
        return ops.map(() => ({ ok: false, error }));
      }
      // The table may have changed under us (a column added, a type widened to take a refused
      // value before a replay): read it again before going op by op.
      this.tables.delete(entity);
    }
    // The batch failed on some op's data: apply op by op so the good ones land and each bad one
    // gets its own reason.
    try {
      return await this.inTransaction(client, async () => {
        const results: WriteResult[] = [];
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i] as WriteOp;
          await client.query('SAVEPOINT sc_op');
          try {
            const current = await this.table(client, entity);
            const one = await this.apply(client, current, [[i, op]], { oneByOne: true });
            results.push(one[0] as WriteResult);
            await client.query('RELEASE SAVEPOINT sc_op');
          } catch (err) {
            if (isTransientPgError(err)) throw err;
            await client.query('ROLLBACK TO SAVEPOINT sc_op');
            results.push({ ok: false, error: await this.explain(client, table, op, err) });
          }
        }
        return results;
      });
    } catch (err) {
      this.dropIfTimedOut(client, err);
      if (!this.isAlive(client)) this.client = null;
      const error = classifyPgError(err);
      return ops.map(() => ({ ok: false, error }));
    }
  }

  /**
   * True when every op is a keyed upsert of the same columns, or every op creates a record the
   * engine did not find with the same columns and match field, so apply() runs one statement.
   */
  private isSingleStatement(table: TableInfo, ops: WriteOp[]): boolean {
    const key = keyColumns(table);
    if (key.length === 0) return false;
    let signature: string | null = null;
    for (const op of ops) {
      if (op.kind !== 'upsert' || (op.key === null && !op.match)) return false;
      // A create the table's own unique index cannot protect takes a lock first: two statements.
      if (op.key === null && !createIsRaceFree(table, op)) return false;
      const sig = op.key === null ? `c${op.match!.field}\u0002${createSignature(newRecord(op, op.match!.field), op)}` : `${op.ifMissing === 'skip' ? 'u' : 'i'}${this.signatureOf(op)}`;
      if (signature !== null && sig !== signature) return false;
      signature = sig;
    }
    return true;
  }

  /**
   * After a query timeout the session is in an unknown state (the answer may still arrive and be
   * taken for the next query's), and its socket may be a black hole where a polite end() would
   * wait forever: destroy it, so the next write opens a new session. An open transaction dies
   * with it on the server, so nothing of the batch is half-written.
   */
  private dropIfTimedOut(client: pg.Client, err: unknown): void {
    if (!/Query read timeout/.test((err as Error | undefined)?.message ?? '')) return;
    if (this.client === client) this.client = null;
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }

  private isAlive(client: pg.Client): boolean {
    return this.client === client && !(client as unknown as { _ending?: boolean })._ending;
  }

  private async inTransaction<T>(client: pg.Client, body: () => Promise<T>): Promise<T> {
    // Each statement sees what committed before it started, whatever the server's default: a create
    // that waited for the match value's lock must see the row the lock holder just committed.
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    try {
      const out = await body();
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** A failed op's error, pointing at the column and value when Postgres did not. */
  private async explain(client: pg.Client, table: TableInfo, op: WriteOp, err: unknown): Promise<SyncError> {
    if (err instanceof ValidationProblem) return syncError('validation', err.message);
    if (err instanceof NotJsonError) {
      for (const [name, value] of Object.entries(op.kind === 'upsert' ? op.fields : {})) {
        const c = table.columns.find((x) => x.name === name);
        try {
          if (c) encodeForColumn(value, shapeOf(c));
        } catch (e) {
          return syncError('validation', `column "${name}" (${c!.nativeType}) cannot hold ${showValue(value)} exactly: ${(e as Error).message}`);
        }
      }
      return syncError('validation', err.message);
    }
    const base = classifyPgError(err);
    const code = (err as { code?: string }).code ?? '';
    if (!code.startsWith('22') || op.kind !== 'upsert' || (err as { column?: string }).column) return base;
    for (const [name, value] of Object.entries(op.fields)) {
      const c = table.columns.find((x) => x.name === name);
      if (!c) continue;
      const text = encodeForColumn(value, shapeOf(c));
      await client.query('SAVEPOINT sc_probe');
      try {
        await client.query(`SELECT $1::text::${c.nativeType}`, [text]);
        await client.query('RELEASE SAVEPOINT sc_probe');
      } catch (probe) {
        await client.query('ROLLBACK TO SAVEPOINT sc_probe');
        const shown = text === null ? 'null' : JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
        return { ...base, message: `column "${name}" (${c.nativeType}) cannot take ${shown}: ${describePgError(probe)}` };
      }
    }
    return base;
  }

  private async apply(client: pg.Client, table: TableInfo, ops: ReadonlyArray<readonly [number, WriteOp]>, mode: { oneByOne?: boolean } = {}): Promise<WriteResult[]> {
    const key = keyColumns(table);
    const outcomes: Outcomes = new Map();
    const deletes: Array<readonly [number, DeleteOp]> = [];
    const keyed: Array<readonly [number, UpsertOp, string]> = [];
    // Records known to exist (linked, or found by the engine's match): updated in place, never
    // created, so a partial change does not trip NOT NULL columns it does not carry.
    const existing: Array<readonly [number, UpsertOp, string]> = [];
    // New records carrying the match value the engine looked for and did not find.
    const created: Array<readonly [number, UpsertOp]> = [];
    // Neither key nor match: a record of its own (its match value is taken on the other side).
    const fresh: Array<readonly [number, UpsertOp]> = [];
    for (const entry of ops) {
      const [i, op] = entry;
      if (key.length === 0) {
        outcomes.set(i, { ok: false, error: syncError('validation', `table ${table.schema}.${table.table} has no primary key, so records in it cannot be addressed: add a primary key to write into it`) });
      } else if (op.kind === 'delete') deletes.push([i, op]);
      else if (op.key !== null) (op.ifMissing === 'skip' ? existing : keyed).push([i, op, op.key]);
      else if (op.match) created.push([i, op]);
      else fresh.push([i, op]);
    }
    if (fresh.length > 0) await this.insertFresh(client, table, key, fresh, outcomes);
    for (const [field, group] of byMatchField(created)) await this.insertNew(client, table, key, column(table, field), group, outcomes, mode.oneByOne === true);
    if (keyed.length > 0) await this.upsertKeyed(client, table, key, keyed, outcomes);
    if (existing.length > 0) await this.updateExisting(client, table, key, existing, outcomes);
    if (deletes.length > 0) await this.deleteKeyed(client, table, key, deletes, outcomes);
    return ops.map(([i]) => outcomes.get(i) ?? { ok: false, error: syncError('permanent', 'write produced no result') });
  }

  /**
   * A write's result with the version it produced, when change events of this table carry the
   * commit LSN as their version (no version column: then the column's value is the version), and
   * when our writes are origin-tagged: untagged, their echo comes back with its commit LSN, which is
   * not the position reported, so the engine could not tell it by version; it tells it by value then.
   */
  private versioned(table: TableInfo, result: WriteResult & { ok: true }, position: number | undefined): WriteResult {
    const column = this.config.versionColumn;
    if (position === undefined || this.originProblem !== null || (column && table.columns.some((c) => c.name === column))) return result;
    return { ...result, version: position };
  }

  private keyTexts(table: TableInfo, key: string[], recordKey: string): Array<string | null> {
    const parts = decodeKey(recordKey, key.length);
    return key.map((name, j) => encodeForColumn(parts[j], shapeOf(column(table, name))));
  }

  /** The guard value for an upsert, or undefined when the table has no version column. */
  private guardValue(table: TableInfo, op: UpsertOp): { column: ColumnInfo; text: string | null } | undefined {
    const name = this.config.versionColumn;
    if (!name) return undefined;
    const c = table.columns.find((x) => x.name === name);
    if (!c) return undefined;
    if (name in op.fields) return { column: c, text: encodeForColumn(op.fields[name], shapeOf(c)) };
    if (TIME_TYPES.has(c.typeName)) return { column: c, text: new Date(op.sourceTime).toISOString() };
    if (c.category === 'N') return { column: c, text: String(op.version ?? op.sourceTime) };
    return undefined;
  }

  /** Field names an upsert writes on update, and those it writes only when it creates the row. */
  private columnsOf(key: string[], op: UpsertOp): { update: string[]; insertOnly: string[] } {
    const skip = (n: string) => key.includes(n) || n === this.config.versionColumn;
    const update = Object.keys(op.fields).filter((n) => !skip(n)).sort();
    const insertOnly = Object.keys(op.insertOnly ?? {}).filter((n) => !skip(n) && !(n in op.fields)).sort();
    return { update, insertOnly };
  }

  /** Ops with equal signatures write the same columns (field order as given; a different order only splits a group). */
  private signatureOf(op: UpsertOp): string {
    const fields = Object.keys(op.fields).join('\u0000');
    return op.insertOnly ? `${fields}\u0001${Object.keys(op.insertOnly).join('\u0000')}` : fields;
  }

  private async upsertKeyed(client: pg.Client, table: TableInfo, key: string[], ops: Array<readonly [number, UpsertOp, string]>, outcomes: Outcomes): Promise<void> {
    const groups = new Map<string, Array<readonly [number, UpsertOp, string]>>();
    for (const entry of ops) {
      const sig = this.signatureOf(entry[1]);
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = []));
      g.push(entry);
    }
    for (const group of groups.values()) {
      const first = group[0] as readonly [number, UpsertOp, string];
      const { update, insertOnly } = this.columnsOf(key, first[1]);
      const valueColumns = update.map((n) => column(table, n));
      const createColumns = insertOnly.map((n) => column(table, n));
      const keyCols = key.map((n) => column(table, n));
      const guard = this.guardValue(table, first[1]);
      const allColumns = [...keyCols, ...valueColumns, ...createColumns, ...(guard ? [guard.column] : [])];
      const valueShapes = valueColumns.map(shapeOf);
      const createShapes = createColumns.map(shapeOf);
      // A single plain key column takes the record key as it is: no decoding per op.
      const plainKey = keyCols.length === 1 && keyCols[0]!.category !== 'A';
      const arrays: Array<Array<string | null>> = allColumns.map(() => []);
      let lastTime = Number.NaN;
      let lastGuardText: string | null = null;
      for (const [, op, recordKey] of group) {
        let j = 0;
        if (plainKey) (arrays[j++] as Array<string | null>).push(recordKey);
        else for (const t of this.keyTexts(table, key, recordKey)) (arrays[j++] as Array<string | null>).push(t);
        for (let v = 0; v < valueColumns.length; v++) (arrays[j++] as Array<string | null>).push(encodeForColumn(op.fields[valueColumns[v]!.name], valueShapes[v]!));
        for (let v = 0; v < createColumns.length; v++) (arrays[j++] as Array<string | null>).push(encodeForColumn(op.insertOnly?.[createColumns[v]!.name], createShapes[v]!));
        if (guard) {
          if (op.sourceTime !== lastTime || guard.column.name in op.fields || op.version !== undefined) {
            lastGuardText = this.guardValue(table, op)?.text ?? null;
            lastTime = guard.column.name in op.fields || op.version !== undefined ? Number.NaN : op.sourceTime;
          }
          (arrays[j] as Array<string | null>).push(lastGuardText);
        }
      }
      const colList = allColumns.map((c) => quoteIdent(c.name)).join(', ');
      const aliases = allColumns.map((_, j) => `c${j}`);
      const select = allColumns.map((c, j) => `u.c${j}::${c.nativeType}`).join(', ');
      const unnest = allColumns.map((_, j) => `$${j + 1}::text[]`).join(', ');
      const conflict = keyCols.map((c) => quoteIdent(c.name)).join(', ');
      const setColumns = [...valueColumns, ...(guard ? [guard.column] : [])];
      const updates = setColumns.map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
      // An existing row is rewritten only when the write changes it: a change applied again after a
      // crash (target committed, inbox not) is not written twice. Nothing to set: nothing to write.
      const onConflict = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
      const guardSql = guard ? `(t.${quoteIdent(guard.column.name)} IS NULL OR t.${quoteIdent(guard.column.name)} <= EXCLUDED.${quoteIdent(guard.column.name)}) AND ` : '';
      const where = updates.length === 0 ? '' : ` WHERE ${guardSql}${differs(setColumns, (c) => `EXCLUDED.${quoteIdent(c.name)}`)}`;
      // xmax = 0 only on a freshly inserted row version: tells "created" from "updated".
      const returning = [...keyCols.map((c) => `t.${quoteIdent(c.name)}::text`), '(t.xmax = 0)', WRITE_POSITION].join(', ');
      const sql =
        `INSERT INTO ${qualifiedTable(table.entity)} AS t (${colList}) ` +
        `SELECT ${select} FROM unnest(${unnest}) AS u(${aliases.join(', ')}) ` +
        `ON CONFLICT (${conflict}) ${onConflict}${where} RETURNING ${returning}`;
      const res = await client.query({ text: sql, values: arrays, rowMode: 'array' });
      const created = new Map<string, boolean>();
      const versions = new Map<string, number>();
      for (const r of res.rows as unknown[][]) {
        const k = encodeKey(r.slice(0, keyCols.length));
        created.set(k, r[keyCols.length] === true);
        versions.set(k, lsnVersion(String(r[keyCols.length + 1])));
      }
      const printed = await this.printedKeys(client, keyCols, arrays.slice(0, keyCols.length));
      // A row left alone is either newer (stale) or already as written (a replay): ask which.
      const newer = guard && res.rows.length < group.length ? await this.newerRows(client, table, keyCols, arrays.slice(0, keyCols.length), guard.column, arrays[arrays.length - 1]!) : new Set<number>();
      group.forEach(([i, , recordKey], n) => {
        const wasCreated = created.get(printed[n] as string);
        if (wasCreated === undefined) outcomes.set(i, newer.has(n) ? { ok: true, key: recordKey, note: 'stale' } : { ok: true, key: recordKey });
        else outcomes.set(i, this.versioned(table, wasCreated ? { ok: true, key: recordKey, created: true } : { ok: true, key: recordKey }, versions.get(printed[n] as string)));
      });
    }
  }

  /**
   * Updates records that exist: one `UPDATE … FROM unnest` per column set, guarded like upserts.
   * An op whose row is not updated is `stale` when the row exists and `not-found` when it is gone.
   */
  private async updateExisting(client: pg.Client, table: TableInfo, key: string[], ops: Array<readonly [number, UpsertOp, string]>, outcomes: Outcomes): Promise<void> {
    const groups = new Map<string, Array<readonly [number, UpsertOp, string]>>();
    for (const entry of ops) {
      const sig = `${Object.keys(entry[1].fields).join('\u0000')}\u0001${Object.keys(entry[1].expect ?? {}).join('\u0000')}`;
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = []));
      g.push(entry);
    }
    for (const group of groups.values()) {
      const first = group[0]!;
      const { update } = this.columnsOf(key, first[1]);
      const keyCols = key.map((n) => column(table, n));
      const valueColumns = update.map((n) => column(table, n));
      const guard = this.guardValue(table, first[1]);
      const setColumns = [...valueColumns, ...(guard ? [guard.column] : [])];
      const expectColumns = Object.keys(first[1].expect ?? {}).map((n) => column(table, n));
      const shapes = valueColumns.map(shapeOf);
      const expectShapes = expectColumns.map(shapeOf);
      const plainKey = keyCols.length === 1 && keyCols[0]!.category !== 'A';
      const arrays: Array<Array<string | null>> = [...keyCols, ...setColumns, ...expectColumns].map(() => []);
      for (const [, op, recordKey] of group) {
        let j = 0;
        if (plainKey) arrays[j++]!.push(recordKey);
        else for (const t of this.keyTexts(table, key, recordKey)) arrays[j++]!.push(t);
        for (let v = 0; v < valueColumns.length; v++) arrays[j++]!.push(encodeForColumn(op.fields[valueColumns[v]!.name], shapes[v]!));
        if (guard) arrays[j++]!.push(this.guardValue(table, op)?.text ?? null);
        for (let v = 0; v < expectColumns.length; v++) arrays[j++]!.push(encodeForColumn(op.expect![expectColumns[v]!.name], expectShapes[v]!));
      }
      const k = keyCols.length;
      const aliases = [...keyCols, ...setColumns, ...expectColumns].map((_, j) => `c${j}`);
      const assignments = setColumns.map((c, j) => `${quoteIdent(c.name)} = u.c${k + j}::${c.nativeType}`);
      // Nothing to set (only the key is mapped): touch the key so the row still reports back.
      if (assignments.length === 0) assignments.push(`${quoteIdent(keyCols[0]!.name)} = t.${quoteIdent(keyCols[0]!.name)}`);
      const join = keyCols.map((c, j) => `t.${quoteIdent(c.name)} = u.c${j}::${c.nativeType}`).join(' AND ');
      const guardCondition =
        (guard ? ` AND (t.${quoteIdent(guard.column.name)} IS NULL OR t.${quoteIdent(guard.column.name)} <= u.c${k + setColumns.length - 1}::${guard.column.nativeType})` : '') +
        (setColumns.length > 0 ? ` AND ${differs(setColumns, (c, j) => `u.c${k + j}::${c.nativeType}`)}` : '') +
        // Compare-and-set: the row still holds what the change being answered saw.
        (expectColumns.length > 0 ? ` AND NOT (${differs(expectColumns, (c, j) => `u.c${k + setColumns.length + j}::${c.nativeType}`)})` : '');
      const unnest = `unnest(${arrays.map((_, j) => `$${j + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${aliases.join(', ')}, ord)`;
      const res = await client.query({
        text: `UPDATE ${qualifiedTable(table.entity)} AS t SET ${assignments.join(', ')} FROM ${unnest} WHERE ${join}${guardCondition} RETURNING u.ord, ${WRITE_POSITION}`,
        values: arrays,
        rowMode: 'array',
      });
      const updated = new Map((res.rows as unknown[][]).map((r) => [Number(r[0]) - 1, lsnVersion(String(r[1]))]));
      let present = new Set<number>();
      let newer = new Set<number>();
      if (updated.size < group.length) {
        const missing = await client.query({
          text: `SELECT u.ord FROM unnest(${keyCols.map((_, j) => `$${j + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${keyCols.map((_, j) => `c${j}`).join(', ')}, ord) JOIN ${qualifiedTable(table.entity)} t ON ${join}`,
          values: arrays.slice(0, k),
          rowMode: 'array',
        });
        present = new Set((missing.rows as unknown[][]).map((r) => Number(r[0]) - 1));
        if (guard && present.size > 0) newer = await this.newerRows(client, table, keyCols, arrays.slice(0, k), guard.column, arrays[k + setColumns.length - 1]!);
        if (expectColumns.length > 0 && valueColumns.length > 0 && present.size > 0) {
          // Left alone by the compare-and-set (the row moved on), not because it already held the values.
          const moved = await client.query({
            text: `SELECT u.ord FROM ${unnest} JOIN ${qualifiedTable(table.entity)} t ON ${join} WHERE ${differs(valueColumns, (c, j) => `u.c${k + j}::${c.nativeType}`)}`,
            values: arrays,
            rowMode: 'array',
          });
          for (const r of moved.rows as unknown[][]) newer.add(Number(r[0]) - 1);
        }
      }
      group.forEach(([i, , recordKey], n) => {
        if (updated.has(n)) outcomes.set(i, this.versioned(table, { ok: true, key: recordKey }, updated.get(n)));
        else if (!present.has(n)) outcomes.set(i, { ok: true, key: recordKey, note: 'not-found' });
        // Not updated but there: newer than the change (stale), or already holding its values (a replay).
        else outcomes.set(i, newer.has(n) ? { ok: true, key: recordKey, note: 'stale' } : { ok: true, key: recordKey });
      });
    }
  }

  /** Which of these rows (by position) hold a newer guard value than the one given for them. */
  private async newerRows(client: pg.Client, table: TableInfo, keyCols: ColumnInfo[], keyTexts: Array<Array<string | null>>, guard: ColumnInfo, guardTexts: Array<string | null>): Promise<Set<number>> {
    const join = keyCols.map((c, j) => `t.${quoteIdent(c.name)} = u.c${j}::${c.nativeType}`).join(' AND ');
    const res = await client.query({
      text:
        `SELECT u.ord FROM unnest(${[...keyTexts, guardTexts].map((_, j) => `$${j + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${keyCols.map((_, j) => `c${j}`).join(', ')}, g, ord) ` +
        `JOIN ${qualifiedTable(table.entity)} t ON ${join} WHERE t.${quoteIdent(guard.name)} > u.g::${guard.nativeType}`,
      values: [...keyTexts, guardTexts],
      rowMode: 'array',
    });
    return new Set((res.rows as unknown[][]).map((r) => Number(r[0]) - 1));
  }

  /**
   * Keys as Postgres prints them (`007` → `7`, upper-case uuid → lower), to match RETURNING rows
   * to ops. Integer and uuid keys are done here; other types ask the server.
   */
  private async printedKeys(client: pg.Client, keyCols: ColumnInfo[], texts: Array<Array<string | null>>): Promise<string[]> {
    const local = keyCols.every((c) => INTEGER_TYPES.has(c.typeName) || c.typeName === 'uuid' || TEXT_TYPES.has(c.typeName));
    if (local) {
      const count = texts[0]?.length ?? 0;
      const out: string[] = [];
      for (let n = 0; n < count; n++) {
        out.push(
          encodeKey(
            keyCols.map((c, j) => {
              const t = texts[j]![n] ?? null;
              if (t === null) return null;
              if (INTEGER_TYPES.has(c.typeName)) return CANONICAL_INTEGER.test(t) || !/^\s*[+-]?\d+\s*$/.test(t) ? t : BigInt(t).toString();
              if (c.typeName === 'uuid') return UUID_PATTERN.test(t) ? t.toLowerCase() : t;
              return t;
            }),
          ),
        );
      }
      return out;
    }
    const select = keyCols.map((c, j) => `u.c${j}::${c.nativeType}::text`).join(', ');
    const unnest = keyCols.map((_, j) => `$${j + 1}::text[]`).join(', ');
    const res = await client.query({
      text: `SELECT ${select} FROM unnest(${unnest}) WITH ORDINALITY AS u(${keyCols.map((_, j) => `c${j}`).join(', ')}, ord) ORDER BY ord`,
      values: texts,
      rowMode: 'array',
    });
    return res.rows.map((r: unknown[]) => encodeKey(r));
  }

  private async printed(client: pg.Client, c: ColumnInfo, values: string[]): Promise<string[]> {
    const res = await client.query({ text: `SELECT v::${c.nativeType}::text FROM unnest($1::text[]) WITH ORDINALITY u(v, ord) ORDER BY ord`, values: [values], rowMode: 'array' });
    return res.rows.map((r: unknown[]) => String(r[0]));
  }

  /**
   * Creates the records the engine's match did not find (it matches; this writer does not look
   * again), one statement per column set. A record created since the engine looked must not be
   * created twice. With a unique index on the match field and exact matching, the index sees to it:
   * the insert becomes an update of that record. Otherwise (no such index, or case-insensitive
   * matching) the statement runs in a transaction that first takes a lock per match value (every
   * SyncCanvas writer of this table takes the same one) and inserts only where no row holds the
   * value; a record found then is left to the engine, which matches again on the retry. A writer that
   * takes no lock (the application itself) can still slip a row in while our insert runs: only a
   * unique index closes that, which preflight asks for.
   */
  private async insertNew(client: pg.Client, table: TableInfo, key: string[], matchColumn: ColumnInfo, ops: Array<readonly [number, UpsertOp]>, outcomes: Outcomes, oneByOne: boolean): Promise<void> {
    // ON CONFLICT names a unique index on the column itself (one on lower(col) cannot be named so).
    const uniqueOnMatch = matchUniqueness(table, matchColumn.name).index;
    const matchShape = shapeOf(matchColumn);
    const groups = new Map<string, Array<readonly [number, UpsertOp, Record<string, unknown>]>>();
    const taken = new Set<string>();
    const locks: string[] = [];
    for (const [i, op] of ops) {
      const fields = newRecord(op, matchColumn.name);
      const m = encodeForColumn(fields[matchColumn.name], matchShape);
      if (m === null) {
        outcomes.set(i, { ok: false, error: syncError('validation', `the match field ${matchColumn.name} has no value, so the record can neither be found nor created: map a value to it`) });
        continue;
      }
      // Two creates equal under the matching rule (Ann@x.io, ann@x.io) would be two records.
      const same = op.match!.normalize === 'lowercase-trim' ? `l${lowerTrim(m)}` : `e${m}`;
      if (taken.has(same)) {
        // The engine decides one change per record per batch, so this is not expected; creating a
        // second row, or guessing which one this is, would be worse than trying again.
        outcomes.set(i, { ok: false, error: syncError('transient', `another write in this batch creates the ${table.entity} record with ${matchColumn.name} = ${JSON.stringify(m)}: retried after it`) });
        continue;
      }
      taken.add(same);
      const guarded = !createIsRaceFree(table, op);
      if (guarded) locks.push(m);
      const sig = `${guarded ? op.match!.normalize : 'free'}\u0003${createSignature(fields, op)}`;
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = []));
      g.push([i, op, fields]);
    }
    if (locks.length > 0) await lockMatchValues(client, table, matchColumn, locks, oneByOne);
    for (const group of groups.values()) {
      const [, firstOp, firstFields] = group[0]!;
      const guarded = !createIsRaceFree(table, firstOp);
      const guard = this.guardValue(table, firstOp);
      const cols = Object.keys(firstFields).map((n) => column(table, n));
      if (guard && !cols.includes(guard.column)) cols.push(guard.column);
      const shapes = cols.map(shapeOf);
      const arrays: Array<Array<string | null>> = cols.map(() => []);
      for (const [, op, fields] of group) {
        cols.forEach((c, j) => arrays[j]!.push(guard && c === guard.column ? (this.guardValue(table, op)?.text ?? null) : encodeForColumn(fields[c.name], shapes[j]!)));
      }
      const updates = cols
        .filter((c) => !key.includes(c.name) && (c.name in firstOp.fields || c === guard?.column || c === matchColumn))
        .map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
      // With a unique index on the match field a record created meanwhile is updated, not duplicated.
      const conflict = uniqueOnMatch ? ` ON CONFLICT (${quoteIdent(matchColumn.name)}) DO UPDATE SET ${updates.join(', ')}` : '';
      const m = cols.indexOf(matchColumn);
      const lower = firstOp.match!.normalize === 'lowercase-trim';
      // Found as the engine's match finds (connector findByField): the same comparison, the same normalized value.
      const held =
        `${qualifiedTable(table.entity)} AS e WHERE ` +
        (lower ? `lower(btrim(e.${quoteIdent(matchColumn.name)}::text)) = u.n` : `e.${quoteIdent(matchColumn.name)} = u.c${m}::${matchColumn.nativeType}`);
      const inputs = guarded && lower ? [...arrays, arrays[m]!.map((v) => (v === null ? null : lowerTrim(v)))] : arrays;
      const aliases = [...cols.map((_, j) => `c${j}`), ...(inputs.length > arrays.length ? ['n'] : [])];
      const res = await client.query({
        text:
          `INSERT INTO ${qualifiedTable(table.entity)} AS t (${cols.map((c) => quoteIdent(c.name)).join(', ')}) ` +
          `SELECT ${cols.map((c, j) => `u.c${j}::${c.nativeType}`).join(', ')} FROM unnest(${inputs.map((_, j) => `$${j + 1}::text[]`).join(', ')}) AS u(${aliases.join(', ')})` +
          `${guarded ? ` WHERE NOT EXISTS (SELECT 1 FROM ${held})` : ''}${conflict} ` +
          `RETURNING ${key.map((k) => `t.${quoteIdent(k)}::text`).join(', ')}, t.${quoteIdent(matchColumn.name)}::text, (t.xmax = 0), ${WRITE_POSITION}`,
        values: inputs,
        rowMode: 'array',
      });
      const matchTexts = arrays[cols.indexOf(matchColumn)]!;
      const printed = TEXT_TYPES.has(matchColumn.typeName) ? (matchTexts as string[]) : await this.printed(client, matchColumn, matchTexts as string[]);
      const byMatch = new Map<string, unknown[]>();
      for (const r of res.rows as unknown[][]) byMatch.set(String(r[key.length]), r);
      group.forEach(([i], n) => {
        const row = byMatch.get(printed[n] as string);
        if (!row && guarded) {
          // A record with this value appeared after the engine looked: it matches again on the retry
          // (and links it, or reports the duplicate), instead of this writer guessing.
          outcomes.set(i, { ok: false, error: syncError('transient', `a ${table.entity} record with ${matchColumn.name} = ${JSON.stringify(printed[n])} was created after this change was matched: matched again on the retry, not created twice`) });
          return;
        }
        if (!row) {
          outcomes.set(i, { ok: false, error: syncError('permanent', `inserting into ${table.entity} returned no row for ${matchColumn.name} = ${JSON.stringify(printed[n])}`) });
          return;
        }
        const newKey = encodeKey(row.slice(0, key.length));
        outcomes.set(i, this.versioned(table, row[key.length + 1] === true ? { ok: true, key: newKey, created: true } : { ok: true, key: newKey }, lsnVersion(String(row[key.length + 2]))));
      });
    }
  }


  /**
   * Creates one row per op with the key the table gives it. Not idempotent by itself: such an op is
   * rare (a record whose match value another record already syncs) and the engine links the new key
   * once it is done; a crash in between may leave a second row to merge.
   */
  private async insertFresh(client: pg.Client, table: TableInfo, key: string[], ops: Array<readonly [number, UpsertOp]>, outcomes: Outcomes): Promise<void> {
    for (const [i, op] of ops) {
      const fields: Record<string, unknown> = { ...op.insertOnly, ...op.fields };
      const cols = Object.keys(fields).map((n) => column(table, n));
      const guard = this.guardValue(table, op);
      if (guard && !cols.includes(guard.column)) cols.push(guard.column);
      const texts = cols.map((c) => (guard && c === guard.column ? guard.text : encodeForColumn(fields[c.name], shapeOf(c))));
      const into = cols.length === 0 ? 'DEFAULT VALUES' : `(${cols.map((c) => quoteIdent(c.name)).join(', ')}) VALUES (${cols.map((c, j) => `$${j + 1}::text::${c.nativeType}`).join(', ')})`;
      const res = await client.query({
        text: `INSERT INTO ${qualifiedTable(table.entity)} AS t ${into} RETURNING ${key.map((k) => `t.${quoteIdent(k)}::text`).join(', ')}, ${WRITE_POSITION}`,
        values: texts,
        rowMode: 'array',
      });
      const row = res.rows[0] as unknown[];
      outcomes.set(i, this.versioned(table, { ok: true, key: encodeKey(row.slice(0, key.length)), created: true }, lsnVersion(String(row[key.length]))));
    }
  }

  private async deleteKeyed(client: pg.Client, table: TableInfo, key: string[], ops: Array<readonly [number, DeleteOp]>, outcomes: Outcomes): Promise<void> {
    const keyCols = key.map((n) => column(table, n));
    const touched = new Set<number>();
    // Hard deletes in one statement; soft deletes in one per column they set.
    const groups = new Map<string, Array<readonly [number, DeleteOp]>>();
    for (const entry of ops) {
      const sig = entry[1].mode === 'hard' ? '' : (entry[1].softField ?? 'deleted_at');
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = []));
      g.push(entry);
    }
    for (const [softField, group] of groups) {
      const arrays: Array<Array<string | null>> = keyCols.map(() => []);
      for (const [, op] of group) this.keyTexts(table, key, op.key).forEach((t, j) => (arrays[j] as Array<string | null>).push(t));
      const join = keyCols.map((c, j) => `t.${quoteIdent(c.name)} = u.c${j}::${c.nativeType}`).join(' AND ');
      const aliases = keyCols.map((_, j) => `c${j}`);
      let sql: string;
      if (softField === '') {
        sql = `DELETE FROM ${qualifiedTable(table.entity)} AS t USING unnest(${arrays.map((_, j) => `$${j + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${aliases.join(', ')}, ord) WHERE ${join} RETURNING u.ord`;
      } else {
        const c = column(table, softField);
        // The deletion time in the column's own terms: a time, a flag, or epoch milliseconds.
        arrays.push(group.map(([, op]) => (c.typeName === 'bool' ? 'true' : c.category === 'N' ? String(op.sourceTime) : new Date(op.sourceTime).toISOString())));
        // Marked once: the same delete applied again after a crash leaves the row as it is.
        sql =
          `UPDATE ${qualifiedTable(table.entity)} AS t SET ${quoteIdent(softField)} = u.d::${c.nativeType} ` +
          `FROM unnest(${arrays.map((_, j) => `$${j + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${aliases.join(', ')}, d, ord) WHERE ${join} ` +
          `AND ${differs([c], () => `u.d::${c.nativeType}`)} RETURNING u.ord`;
      }
      const res = await client.query({ text: sql, values: arrays, rowMode: 'array' });
      for (const r of res.rows as unknown[][]) touched.add(group[Number(r[0]) - 1]![0]);
      if (softField !== '' && res.rows.length < group.length) {
        // Already marked with this very time (the delete applied before a crash): done, not missing.
        const keyArrays = arrays.slice(0, keyCols.length);
        const present = await client.query({
          text: `SELECT u.ord FROM unnest(${keyArrays.map((_, j) => `$${j + 1}::text[]`).join(', ')}) WITH ORDINALITY AS u(${aliases.join(', ')}, ord) JOIN ${qualifiedTable(table.entity)} t ON ${join}`,
          values: keyArrays,
          rowMode: 'array',
        });
        for (const r of present.rows as unknown[][]) touched.add(group[Number(r[0]) - 1]![0]);
      }
    }
    for (const [i, op] of ops) outcomes.set(i, touched.has(i) ? { ok: true, key: op.key } : { ok: true, key: op.key, note: 'not-found' });
  }
}
