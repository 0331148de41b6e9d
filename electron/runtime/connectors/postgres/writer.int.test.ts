import pg from 'pg';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { CaptureHandle, WriteOp } from '../types.js';
import { PostgresConnector } from './connector.js';
import { isLsn } from './lsn.js';
import { CollectingSink } from './test-support/collecting-sink.js';
import { usePostgres, waitFor } from './test-support/use-postgres.js';

const db = usePostgres('writer');
const ORIGIN = 'synccanvas:flow-w';
let seq = 0;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function connector(configPatch: Record<string, unknown> = {}, systemId = 'billing'): PostgresConnector {
  const c = new PostgresConnector({ config: { ...db().config, ...configPatch }, password: db().password, flowId: `flow-w${++seq}`, systemId });
  cleanups.push(() => c.close());
  // Results compared here leave out the version a write produced (a WAL position); the test
  // "a write reports the version its change events carry" checks it.
  const write = c.write.bind(c);
  c.write = async (...args) => (await write(...args)).map((r) => (r.ok ? (({ version: _, ...rest }) => rest)(r) : r));
  return c;
}

function versionedConnector(): PostgresConnector {
  const c = new PostgresConnector({ config: db().config, password: db().password, flowId: `flow-w${++seq}`, systemId: 'billing' });
  cleanups.push(() => c.close());
  return c;
}

async function table(ddl: string): Promise<string> {
  const name = `t${++seq}`;
  await db().admin.query(ddl.replace('$T', name));
  return name;
}

/** Counts the statements sent to Postgres by any client until stop() (the writer's round trips). */
function countQueries(): { stop(): number } {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  return {
    stop() {
      const n = spy.mock.calls.length;
      spy.mockRestore();
      return n;
    },
  };
}

function upsert(key: string | null, fields: Record<string, unknown>, extra: Partial<Extract<WriteOp, { kind: 'upsert' }>> = {}): WriteOp {
  return { kind: 'upsert', key, fields, idempotencyKey: `i-${key}-${JSON.stringify(fields)}`, sourceTime: Date.now(), ...extra };
}

async function rows(name: string, order = 'id'): Promise<Record<string, unknown>[]> {
  return (await db().admin.query(`SELECT * FROM ${name} ORDER BY ${order}`)).rows;
}

describe('writes', () => {
  test('a write applied again (a crash between our write and our commit) does not touch the row again', async () => {
    // json and point have no equality operator; numeric 1.0 and 1.00 are equal but not the same value.
    const t = await table('CREATE TABLE $T (id bigint PRIMARY KEY, name text, doc json, at point, amount numeric, gone timestamptz, version bigint)');
    const plain = await table('CREATE TABLE $T (id bigint PRIMARY KEY, name text, doc json, at point, amount numeric, gone timestamptz)');
    await db().admin.query(`
      CREATE TABLE IF NOT EXISTS write_log (tbl text, id bigint, op text, row text);
      CREATE OR REPLACE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO write_log VALUES (TG_TABLE_NAME, NEW.id, TG_OP, NEW::text); RETURN NEW; END $$;
      CREATE TRIGGER log AFTER INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION log_write();
      CREATE TRIGGER log AFTER INSERT OR UPDATE ON ${plain} FOR EACH ROW EXECUTE FUNCTION log_write();`);
    const log = async (name: string) => (await db().admin.query(`SELECT op, row FROM write_log WHERE tbl = $1 ORDER BY ctid`, [name])).rows.map((r) => `${r.op} ${r.row}`);
    const c = connector({ versionColumn: 'version' });
    const first = { name: 'Ann', doc: '{"a": 1,  "b":[1.10]}', at: '(1,2)', amount: '1.0' };
    for (const name of [t, plain]) {
      const batch = (fields: Record<string, unknown>, version: number, more: Partial<Extract<WriteOp, { kind: 'upsert' }>> = {}) => [upsert('1', fields, { version, ...more }), upsert('2', { ...fields, name: 'Bo' }, { version, ...more })];
      expect(await c.write(name, batch(first, 10), ORIGIN)).toEqual([{ ok: true, key: '1', created: true }, { ok: true, key: '2', created: true }]);
      // Applied again: same answer, no write.
      expect(await c.write(name, batch(first, 10), ORIGIN)).toEqual([{ ok: true, key: '1' }, { ok: true, key: '2' }]);
      // The same through the update-in-place path (a linked record).
      expect(await c.write(name, batch(first, 10, { ifMissing: 'skip' }), ORIGIN)).toEqual([{ ok: true, key: '1' }, { ok: true, key: '2' }]);
      // Another change with the same version (two updates in one source transaction) is written.
      expect(await c.write(name, batch({ ...first, amount: '1.00' }, 10, { ifMissing: 'skip' }), ORIGIN)).toEqual([{ ok: true, key: '1' }, { ok: true, key: '2' }]);
      const del = { kind: 'delete', key: '1', mode: 'soft', softField: 'gone', idempotencyKey: 'd1', sourceTime: Date.parse('2025-01-02T03:04:05Z') } as const;
      expect(await c.write(name, [del], ORIGIN)).toEqual([{ ok: true, key: '1' }]);
      expect(await c.write(name, [del], ORIGIN)).toEqual([{ ok: true, key: '1' }]);
      expect(await c.write(name, [{ ...del, key: '9' }], ORIGIN)).toEqual([{ ok: true, key: '9', note: 'not-found' }]);
      const written = await log(name);
      expect(written.map((w) => w.split(' ')[0]), written.join('\n')).toEqual(['INSERT', 'INSERT', 'UPDATE', 'UPDATE', 'UPDATE']);
    }
    // An older version is still refused as stale, a replay is not.
    expect(await c.write(t, [upsert('2', { name: 'old' }, { version: 9 })], ORIGIN)).toEqual([{ ok: true, key: '2', note: 'stale' }]);
    expect(await c.write(t, [upsert('2', { name: 'old' }, { version: 9, ifMissing: 'skip' })], ORIGIN)).toEqual([{ ok: true, key: '2', note: 'stale' }]);
    expect(await db().admin.query(`SELECT count(*)::int AS n FROM ${t} WHERE version = 10 AND name = 'Bo' AND amount::text = '1.00'`)).toMatchObject({ rows: [{ n: 1 }] });
  });

  test('batched upserts create and update rows, and a replay changes nothing', async () => {
    const t = await table('CREATE TABLE $T (id bigint PRIMARY KEY, name text NOT NULL, data jsonb, tags text[], amount numeric, at timestamptz)');
    const c = connector();
    const ops = [
      upsert('9007199254740993', { name: 'Big', data: { a: [1, 'x'] }, tags: ['a b', 'c"d', null], amount: '12345678901234567890.5', at: '2024-03-01T10:34:56.123456Z' }),
      upsert('2', { name: 'Two', data: 'just a string', tags: [], amount: 1.5, at: null }),
    ];
    const first = await c.write(t, ops, ORIGIN);
    expect(first).toEqual([{ ok: true, key: '9007199254740993', created: true }, { ok: true, key: '2', created: true }]);
    const replay = await c.write(t, ops, ORIGIN);
    expect(replay).toEqual([{ ok: true, key: '9007199254740993' }, { ok: true, key: '2' }]);
    const stored = (await db().admin.query(`SELECT id::text, name, data, tags, amount::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at FROM ${t} ORDER BY id`)).rows;
    expect(stored).toEqual([
      { id: '2', name: 'Two', data: 'just a string', tags: [], amount: '1.5', at: null },
      { id: '9007199254740993', name: 'Big', data: { a: [1, 'x'] }, tags: ['a b', 'c"d', null], amount: '12345678901234567890.5', at: '2024-03-01 10:34:56.123456' },
    ]);
    expect(await c.write(t, [upsert('2', { name: 'Deux' })], ORIGIN)).toEqual([{ ok: true, key: '2' }]);
    expect((await rows(t))[0]).toMatchObject({ name: 'Deux', data: 'just a string' });
  });

  test('insertOnly values seed a new row and leave an existing one alone', async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, name text, status text, source text)');
    const c = connector();
    const seed = { status: 'new', source: 'crm' };
    expect(await c.write(t, [upsert('1', { name: 'Ann' }, { insertOnly: seed })], ORIGIN)).toEqual([{ ok: true, key: '1', created: true }]);
    await db().admin.query(`UPDATE ${t} SET status = 'active' WHERE id = 1`);
    expect(await c.write(t, [upsert('1', { name: 'Ann B' }, { insertOnly: seed }), upsert('2', { name: 'Bo' }, { insertOnly: seed })], ORIGIN)).toEqual([
      { ok: true, key: '1' },
      { ok: true, key: '2', created: true },
    ]);
    expect(await rows(t)).toEqual([
      { id: 1, name: 'Ann B', status: 'active', source: 'crm' },
      { id: 2, name: 'Bo', status: 'new', source: 'crm' },
    ]);
  });

  test('a version column keeps an older change from overwriting a newer one', async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, name text, version bigint)');
    const c = connector({ versionColumn: 'version' });
    expect(await c.write(t, [upsert('1', { name: 'v5', version: 5 })], ORIGIN)).toEqual([{ ok: true, key: '1', created: true }]);
    expect(await c.write(t, [upsert('1', { name: 'v3', version: 3 }), upsert('2', { name: 'new', version: 1 })], ORIGIN)).toEqual([
      { ok: true, key: '1', note: 'stale' },
      { ok: true, key: '2', created: true },
    ]);
    expect(await rows(t)).toEqual([
      { id: 1, name: 'v5', version: '5' },
      { id: 2, name: 'new', version: '1' },
    ]);
    // The same version again is a replay, not a stale write.
    expect(await c.write(t, [upsert('1', { name: 'v5', version: 5 })], ORIGIN)).toEqual([{ ok: true, key: '1' }]);
    // Without the field in the change, the op's own version is the guard.
    expect(await c.write(t, [upsert('1', { name: 'op-version' }, { version: 4 })], ORIGIN)).toEqual([{ ok: true, key: '1', note: 'stale' }]);
    expect(await c.write(t, [upsert('1', { name: 'op-version' }, { version: 6 })], ORIGIN)).toEqual([{ ok: true, key: '1' }]);
    expect((await rows(t))[0]).toEqual({ id: 1, name: 'op-version', version: '6' });
  });

  test('an updatedAt guard column compares change times', async () => {
    const t = await table('CREATE TABLE $T (id uuid PRIMARY KEY, name text, updated_at timestamptz)');
    const c = connector({ versionColumn: 'updated_at' });
    const id = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11';
    expect(await c.write(t, [upsert(id, { name: 'newer' }, { sourceTime: Date.parse('2024-05-01T00:00:00Z') })], ORIGIN)).toEqual([{ ok: true, key: id, created: true }]);
    expect(await c.write(t, [upsert(id, { name: 'older' }, { sourceTime: Date.parse('2024-04-01T00:00:00Z') })], ORIGIN)).toEqual([{ ok: true, key: id, note: 'stale' }]);
    expect((await rows(t))[0]).toMatchObject({ name: 'newer' });
  });

  test('without a key, creates the record the engine did not find (one statement, no lookup of its own) and returns the new key', async () => {
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text UNIQUE, name text, city text)');
    await db().admin.query(`INSERT INTO ${t} (email, name, city) VALUES ('ann@x.io', 'Ann', 'Oslo'), ('bob@x.io', 'Bob', 'Same'), ('x1@x.io', 'Dup', 'Same')`);
    const c = connector();
    const byEmail = (value: string) => ({ match: { field: 'email', value, normalize: 'exact' as const } });
    // Warm the session (origin, table shape), then count what a batch of new records costs.
    await c.write(t, [upsert('1', { name: 'Ann' }, { ifMissing: 'skip' })], ORIGIN);
    const queries = countQueries();
    const results = await c.write(t, [upsert(null, { name: 'Cy', email: 'cy@x.io' }, byEmail('cy@x.io')), upsert(null, { name: 'Eve', email: 'eve@x.io' }, byEmail('eve@x.io'))], ORIGIN);
    expect(queries.stop()).toBe(1);
    expect(results).toEqual([{ ok: true, key: '4', created: true }, { ok: true, key: '5', created: true }]);
    // No unique index on the match field (city): rows holding the value now were created after the
    // engine looked (it asks to create only what it did not find). Not created again: retried, so
    // the engine matches again and settles it.
    expect(await c.write(t, [upsert(null, { name: 'Dee', email: 'dee@x.io' }, { match: { field: 'city', value: 'Same', normalize: 'exact' } })], ORIGIN)).toEqual([
      { ok: false, error: expect.objectContaining({ errorClass: 'transient', message: expect.stringContaining('city = "Same" was created after this change was matched') }) },
    ]);
    expect(await db().admin.query(`SELECT count(*)::int AS n FROM ${t} WHERE city = 'Same'`)).toMatchObject({ rows: [{ n: 2 }] });
    // Created since the engine looked: the unique index on the match field turns the insert into an
    // update of that record, never a duplicate.
    await db().admin.query(`INSERT INTO ${t} (email, name) VALUES ('fay@x.io', 'Fay, by hand')`);
    const [late] = await c.write(t, [upsert(null, { name: 'Fay', email: 'fay@x.io' }, byEmail('fay@x.io'))], ORIGIN);
    expect(late).toMatchObject({ ok: true });
    expect(late).not.toHaveProperty('created');
    expect(await db().admin.query(`SELECT count(*)::int AS n, max(name) AS name FROM ${t} WHERE email = 'fay@x.io'`)).toMatchObject({ rows: [{ n: 1, name: 'Fay' }] });
    // Two creates of one match value in a call (the engine never sends them): the first is made,
    // the second is retried later rather than guessed at.
    const twice = await c.write(t, [upsert(null, { name: 'Di', email: 'di@x.io' }, byEmail('di@x.io')), upsert(null, { name: 'Di 2', email: 'di@x.io' }, byEmail('di@x.io'))], ORIGIN);
    expect(twice[0]).toMatchObject({ ok: true, created: true });
    expect(twice[1]).toMatchObject({ ok: false, error: { errorClass: 'transient', message: expect.stringContaining('another write in this batch') } });
    expect(await db().admin.query(`SELECT count(*)::int AS n, max(name) AS name FROM ${t} WHERE email = 'di@x.io'`)).toMatchObject({ rows: [{ n: 1, name: 'Di' }] });
    // A replay of a create finds the row it made through the unique index instead of adding another.
    expect(await c.write(t, [upsert(null, { name: 'Cy', email: 'cy@x.io' }, byEmail('cy@x.io'))], ORIGIN)).toEqual([{ ok: true, key: '4' }]);
    expect(await db().admin.query(`SELECT count(*)::int AS n FROM ${t} WHERE email = 'cy@x.io'`)).toMatchObject({ rows: [{ n: 1 }] });
  });

  test("a linked record (ifMissing 'skip') is updated in place: partial fields, never created", async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, email text NOT NULL, name text, version bigint)');
    await db().admin.query(`INSERT INTO ${t} VALUES (1, 'a@x.io', 'Ann', 5), (2, 'b@x.io', 'Bob', 1)`);
    const c = connector({ versionColumn: 'version' });
    const results = await c.write(
      t,
      [
        upsert('1', { name: 'Ann B' }, { ifMissing: 'skip', version: 6 }),
        upsert('2', { name: 'Old Bob' }, { ifMissing: 'skip', version: 0 }),
        upsert('3', { name: 'Gone' }, { ifMissing: 'skip', version: 9 }),
      ],
      ORIGIN,
    );
    expect(results).toEqual([
      { ok: true, key: '1' },
      { ok: true, key: '2', note: 'stale' },
      { ok: true, key: '3', note: 'not-found' },
    ]);
    expect(await rows(t)).toEqual([
      { id: 1, email: 'a@x.io', name: 'Ann B', version: '6' },
      { id: 2, email: 'b@x.io', name: 'Bob', version: '1' },
    ]);
  });

  test('hard and soft deletes, and deleting what is gone', async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, name text, deleted_at timestamptz, archived bool)');
    await db().admin.query(`INSERT INTO ${t} (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
    const c = connector();
    const when = Date.parse('2024-06-01T12:00:00.250Z');
    const results = await c.write(
      t,
      [
        { kind: 'delete', key: '1', mode: 'hard', idempotencyKey: 'd1', sourceTime: when },
        { kind: 'delete', key: '2', mode: 'soft', softField: 'deleted_at', idempotencyKey: 'd2', sourceTime: when },
        { kind: 'delete', key: '3', mode: 'soft', softField: 'archived', idempotencyKey: 'd3', sourceTime: when },
        { kind: 'delete', key: '9', mode: 'hard', idempotencyKey: 'd9', sourceTime: when },
      ],
      ORIGIN,
    );
    expect(results).toEqual([
      { ok: true, key: '1' },
      { ok: true, key: '2' },
      { ok: true, key: '3' },
      { ok: true, key: '9', note: 'not-found' },
    ]);
    const left = await rows(t);
    expect(left.map((r) => [r.id, r.name, (r.deleted_at as Date | null)?.toISOString() ?? null, r.archived])).toEqual([
      [2, 'b', '2024-06-01T12:00:00.250Z', null],
      [3, 'c', null, true],
    ]);
    expect(await c.write(t, [{ kind: 'delete', key: '1', mode: 'hard', idempotencyKey: 'd1', sourceTime: when }], ORIGIN)).toEqual([{ ok: true, key: '1', note: 'not-found' }]);
  });

  test('bad data fails only its own op, as a validation error that names the column and value', async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, name text NOT NULL, tier int CHECK (tier >= 0), email text UNIQUE)');
    await db().admin.query(`INSERT INTO ${t} VALUES (100, 'taken', 0, 'taken@x.io')`);
    const c = connector();
    const results = await c.write(
      t,
      [
        upsert('1', { name: 'ok', tier: 1 }),
        upsert('2', { name: null, tier: 1 }),
        upsert('3', { name: 'neg', tier: -1 }),
        upsert('4', { name: 'nan', tier: 'abc' }),
        upsert('5', { name: 'dup', email: 'taken@x.io' }),
        upsert('6', { name: 'x', nope: 1 }),
        upsert('7', { name: 'ok too', tier: 2 }),
      ],
      ORIGIN,
    );
    expect(results[0]).toEqual({ ok: true, key: '1', created: true });
    expect(results[6]).toEqual({ ok: true, key: '7', created: true });
    const errors = results.slice(1, 6).map((r) => (r.ok ? null : r.error));
    for (const e of errors) expect(e?.errorClass).toBe('validation');
    expect(errors[0]!.message).toMatch(/null value in column "name"/);
    expect(errors[1]!.message).toMatch(/check constraint/);
    expect(errors[2]!.message).toMatch(/column "tier" \(integer\) cannot take "abc"/);
    expect(errors[3]!.message).toMatch(/duplicate key.*\(email\)=\(taken@x\.io\)/);
    expect(errors[4]!.message).toMatch(/column "nope" does not exist .*fix the field mapping/);
    expect((await rows(t)).map((r) => r.id)).toEqual([1, 7, 100]);
  });

  test('our writes carry a replication origin and are not captured back; user changes are', async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, name text)');
    const sink = new CollectingSink();
    const capturing = connector({}, 'crm');
    const handle: CaptureHandle = await capturing.startCapture(sink.context([t]));
    cleanups.push(() => handle.stop());
    await waitFor(() => sink.checkpoint !== null && isLsn(sink.checkpoint), 10_000, 'capture start');
    const writing = connector({}, 'billing');
    expect(await writing.write(t, [upsert('1', { name: 'from sync' }), upsert('2', { name: 'from sync' })], ORIGIN)).toEqual([
      { ok: true, key: '1', created: true },
      { ok: true, key: '2', created: true },
    ]);
    expect(writing.writeOriginProblem).toBeNull();
    await db().admin.query(`INSERT INTO ${t} VALUES (3, 'by a user')`);
    await db().admin.query(`UPDATE ${t} SET name = 'edited by a user' WHERE id = 1`);
    await waitFor(() => sink.changes.length >= 2, 10_000, 'user changes');
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.changes.map((ch) => [ch.key, ch.fields.name])).toEqual([
      ['3', 'by a user'],
      ['1', 'edited by a user'],
    ]);
    const origins = await db().admin.query('SELECT roname FROM pg_replication_origin WHERE roname = $1', [`${ORIGIN}@billing`]);
    expect(origins.rowCount).toBe(1);
  });

  test('an upsert with neither key nor match creates a record of its own, keyed by the table', async () => {
    const t = await table("CREATE TABLE $T (id bigserial PRIMARY KEY, email text, plan text NOT NULL DEFAULT 'free')");
    await db().admin.query(`INSERT INTO ${t} (email) VALUES ('ann@x.io')`);
    const c = connector();
    expect(await c.write(t, [upsert(null, { email: 'ANN@x.io' }), upsert(null, { email: 'bo@x.io' }, { insertOnly: { plan: 'pro' } })], ORIGIN)).toEqual([
      { ok: true, key: '2', created: true },
      { ok: true, key: '3', created: true },
    ]);
    // A refused one fails alone, with its reason.
    const [bad, good] = await c.write(t, [upsert(null, { email: 'x', plan: null }), upsert(null, { email: 'cy@x.io' })], ORIGIN);
    expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/plan/) } });
    // (The batch tried first took sequence values, so the key is whichever the row got.)
    expect(good).toEqual({ ok: true, key: expect.stringMatching(/^\d+$/), created: true });
    expect(await rows(t)).toEqual([
      { id: '1', email: 'ann@x.io', plan: 'free' },
      { id: '2', email: 'ANN@x.io', plan: 'free' },
      { id: '3', email: 'bo@x.io', plan: 'pro' },
      { id: (good as { key: string }).key, email: 'cy@x.io', plan: 'free' },
    ]);
  });

  test('a write with expected values only lands while the row still holds them; otherwise it is stale', async () => {
    const t = await table('CREATE TABLE $T (id int PRIMARY KEY, name text, amount numeric, doc json)');
    await db().admin.query(`INSERT INTO ${t} VALUES (1, 'seen', 1.50, '{"a": 1}'), (2, 'seen', 1.50, '{"a": 1}'), (3, 'edited since', 1.50, '{"a": 1}'), (4, 'owner', 1.50, '{"a": 1}')`);
    const c = versionedConnector();
    const back = (key: string, expect: Record<string, unknown>) => upsert(key, { name: 'owner' }, { ifMissing: 'skip', expect });
    const results = await c.write(t, [back('1', { name: 'seen' }), back('2', { name: 'seen', amount: '1.50' }), back('3', { name: 'seen' }), back('4', { name: 'seen' }), back('9', { name: 'seen' })], ORIGIN);
    expect(results).toEqual([
      { ok: true, key: '1', version: expect.any(Number) },
      { ok: true, key: '2', version: expect.any(Number) },
      // An edit made since the change we answer: it stands.
      { ok: true, key: '3', note: 'stale' },
      // Already holding the value (a replay): done, nothing written.
      { ok: true, key: '4' },
      { ok: true, key: '9', note: 'not-found' },
    ]);
    // Exact text: 1.5 is not what the row holds (1.50).
    expect(await c.write(t, [upsert('2', { name: 'x' }, { ifMissing: 'skip', expect: { amount: '1.5' } })], ORIGIN)).toEqual([{ ok: true, key: '2', note: 'stale' }]);
    expect(await db().admin.query(`SELECT id, name FROM ${t} ORDER BY id`)).toMatchObject({
      rows: [
        { id: 1, name: 'owner' },
        { id: 2, name: 'owner' },
        { id: 3, name: 'edited since' },
        { id: 4, name: 'owner' },
      ],
    });
  });

  test('a write reports the version its change events carry: edits committed before it are lower, edits after it higher', async () => {
    const t = await table('CREATE TABLE $T (id int GENERATED BY DEFAULT AS IDENTITY (START WITH 4) PRIMARY KEY, email text UNIQUE, name text)');
    await db().admin.query(`INSERT INTO ${t} VALUES (1, 'a@x.io', 'seed'), (2, 'b@x.io', 'seed')`);
    const sink = new CollectingSink();
    const capturing = connector({}, 'crm');
    const handle: CaptureHandle = await capturing.startCapture(sink.context([t]));
    cleanups.push(() => handle.stop());
    await waitFor(() => sink.checkpoint !== null && isLsn(sink.checkpoint), 10_000, 'capture start');
    const writing = versionedConnector();
    const user = await db().connect();
    cleanups.push(() => user.end());

    // A user edit holds the row while our write waits for it: it commits first, so it is older.
    await user.query('BEGIN');
    await user.query(`UPDATE ${t} SET name = 'user, before' WHERE id = 1`);
    const pending = writing.write(t, [upsert('1', { name: 'ours' }, { ifMissing: 'skip' }), upsert('2', { name: 'ours' }, { ifMissing: 'skip' })], ORIGIN);
    await new Promise((r) => setTimeout(r, 200));
    await user.query('COMMIT');
    const updated = await pending;
    // Through the other statements: a keyed upsert, and one that finds its record by match.
    const keyed = await writing.write(t, [upsert('3', { name: 'ours', email: 'c@x.io' })], ORIGIN);
    const matched = await writing.write(t, [upsert(null, { name: 'ours', email: 'D@x.io' }, { match: { field: 'email', value: 'D@x.io', normalize: 'lowercase-trim' } })], ORIGIN);
    // Nothing changed: no version (nothing of ours will come back).
    expect(await writing.write(t, [upsert('3', { name: 'ours', email: 'c@x.io' })], ORIGIN)).toEqual([{ ok: true, key: '3' }]);
    await user.query(`UPDATE ${t} SET name = 'user, after' WHERE id IN (1, 2, 3, 4)`);
    await waitFor(() => sink.changes.length >= 7, 10_000, 'user changes');

    const written = [...updated, ...keyed, ...matched].map((r) => (r.ok ? r.version : undefined));
    expect(written.every((v) => typeof v === "number"), JSON.stringify([...updated, ...keyed, ...matched])).toBe(true);
    const [w1, w2, w3, w4] = written as [number, number, number, number];
    const events = sink.changes.filter((ch) => !ch.eventId.includes(':snap:')).map((ch) => [ch.key, ch.fields.name, ch.version] as const);
    expect(events.map(([k, n]) => [k, n]).sort()).toEqual([
      ['1', 'user, after'],
      ['1', 'user, before'],
      ['2', 'user, after'],
      ['3', 'user, after'],
      ['4', 'user, after'],
    ]);
    const v = (key: string, name: string) => events.find(([k, n]) => k === key && n === name)![2]!;
    expect(v('1', 'user, before')).toBeLessThan(w1);
    for (const [key, w] of [['1', w1], ['2', w2], ['3', w3], ['4', w4]] as const) expect(v(key, 'user, after')).toBeGreaterThan(w);
    expect(await db().admin.query(`SELECT id, name FROM ${t} ORDER BY id`)).toMatchObject({ rows: [1, 2, 3, 4].map((id) => ({ id, name: 'user, after' })) });
  });
});
