import { afterEach, describe, expect, test } from 'vitest';
import type { WriteOp } from '../types.js';
import { PostgresConnector } from './connector.js';
import { usePostgres } from './test-support/use-postgres.js';

/**
 * Creating a record the engine's match did not find, in a table whose match column has no unique
 * index: a record with that value created meanwhile (by the application, or by another SyncCanvas
 * writer) must not end up twice. Counted in Postgres itself.
 */
const db = usePostgres('create_race');
const ORIGIN = 'synccanvas:flow-race';
let seq = 0;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function connector(): PostgresConnector {
  const c = new PostgresConnector({ config: db().config, password: db().password, flowId: `flow-race${++seq}`, systemId: 'billing' });
  cleanups.push(() => c.close());
  return c;
}

async function table(ddl: string): Promise<string> {
  const name = `race${++seq}`;
  await db().admin.query(ddl.replaceAll('$T', name));
  return name;
}

const create = (email: string, name: string, normalize: 'exact' | 'lowercase-trim' = 'lowercase-trim'): WriteOp => ({
  kind: 'upsert',
  key: null,
  match: { field: 'email', value: email, normalize },
  fields: { email, name },
  idempotencyKey: `create-${email}-${name}`,
  sourceTime: Date.now(),
});

/** Match values held by more than one row, compared as the flow compares them. */
async function duplicates(t: string, expr = 'lower(btrim(email))'): Promise<number> {
  const r = await db().admin.query(`SELECT count(*)::int AS n FROM (SELECT ${expr} FROM ${t} GROUP BY 1 HAVING count(*) > 1) d`);
  return r.rows[0].n as number;
}

describe('creating by match value without a unique index', () => {
  test('a record created since the engine looked (another spelling of the value) is not created again: retried for a new match', async () => {
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text, name text)');
    const c = connector();
    await db().admin.query(`INSERT INTO ${t} (email, name) VALUES ('  Ann@Example.COM ', 'Ann, typed in by hand')`);
    const [late, fresh] = await c.write(t, [create('ann@example.com', 'Ann'), create('bob@example.com', 'Bob')], ORIGIN);
    expect(late).toEqual({ ok: false, error: expect.objectContaining({ errorClass: 'transient', message: expect.stringContaining('was created after this change was matched') }) });
    expect(fresh).toMatchObject({ ok: true, created: true });
    const r = await db().admin.query(
      `SELECT count(*)::int AS n, bool_and(name IS NOT DISTINCT FROM 'Ann, typed in by hand') AS untouched FROM ${t} WHERE lower(btrim(email)) = 'ann@example.com'`,
    );
    expect(r.rows[0]).toEqual({ n: 1, untouched: true });
    expect(await duplicates(t)).toBe(0);
  });

  test('exact matching compares exactly: another spelling is another record', async () => {
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text, name text)');
    await db().admin.query(`INSERT INTO ${t} (email, name) VALUES ('Ann@Example.com', 'Ann'), ('cy@example.com', 'Cy')`);
    const [other, same] = await connector().write(t, [create('ann@example.com', 'Ann 2', 'exact'), create('cy@example.com', 'Cy 2', 'exact')], ORIGIN);
    expect(other).toMatchObject({ ok: true, created: true });
    expect(same).toMatchObject({ ok: false, error: { errorClass: 'transient' } });
    expect(await duplicates(t, 'email')).toBe(0);
  });

  test('two values equal under case-insensitive matching in one batch: one record, the other retried', async () => {
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text, name text)');
    const results = await connector().write(t, [create('dee@example.com', 'Dee'), create('DEE@example.com ', 'Dee again')], ORIGIN);
    expect(results[0]).toMatchObject({ ok: true, created: true });
    expect(results[1]).toMatchObject({ ok: false, error: { errorClass: 'transient', message: expect.stringContaining('another write in this batch') } });
    expect(await duplicates(t)).toBe(0);
  });

  test('a unique index on lower(email) alone: creates check for the value themselves (ON CONFLICT cannot name that index)', async () => {
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text, name text); CREATE UNIQUE INDEX ON $T (lower(email))');
    await db().admin.query(`INSERT INTO ${t} (email, name) VALUES ('ann@example.com', 'Ann')`);
    const [fresh, same, other] = await connector().write(t, [create('bob@example.com', 'Bob', 'exact'), create('ann@example.com', 'Ann 2', 'exact'), create('cy@example.com', 'Cy')], ORIGIN);
    expect(fresh).toMatchObject({ ok: true, created: true });
    expect(same).toMatchObject({ ok: false, error: { errorClass: 'transient', message: expect.stringContaining('was created after this change was matched') } });
    expect(other).toMatchObject({ ok: true, created: true });
    expect(await duplicates(t)).toBe(0);
  });

  test('applied one by one after a bad value, the creates hold one lock, not one per value', async () => {
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text, name text, age int)');
    // What our own backend holds in advisory locks at each insert, written down by the insert itself.
    await db().admin.query(`
      CREATE TABLE ${t}_locks (n int);
      CREATE FUNCTION ${t}_count_locks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO ${t}_locks SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid(); RETURN NULL; END $$;
      CREATE TRIGGER count_locks AFTER INSERT ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${t}_count_locks();`);
    const ops = Array.from({ length: 120 }, (_, i) => ({ ...create(`p${i}@example.com`, `P${i}`), fields: { email: `p${i}@example.com`, name: `P${i}`, age: i === 7 ? 'seven' : i } }) as WriteOp);
    const results = await connector().write(t, ops, ORIGIN);
    expect(results[7]).toMatchObject({ ok: false, error: { errorClass: 'validation' } });
    expect(results.filter((r) => r.ok)).toHaveLength(119);
    expect((await db().admin.query(`SELECT max(n)::int AS most, count(*)::int AS inserts FROM ${t}_locks`)).rows[0]).toEqual({ most: 1, inserts: 119 });
  });

  test('two writers (two flows, or two runtimes) creating the same values at once make each record once', async () => {
    // Repeatable read by default must not hide the row the other writer committed while we waited.
    const t = await table('CREATE TABLE $T (id bigserial PRIMARY KEY, email text, name text)');
    await db().admin.query(`ALTER ROLE CURRENT_USER SET default_transaction_isolation = 'repeatable read'`);
    cleanups.push(async () => void (await db().admin.query('ALTER ROLE CURRENT_USER RESET default_transaction_isolation')));
    // A large batch locks the column, a small one each value (the server's lock table is bounded).
    // Each insert statement takes a while here, so the two writers' statements surely overlap.
    await db().admin.query(`
      CREATE OR REPLACE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN NULL; END $$;
      CREATE TRIGGER slow BEFORE INSERT ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION slow_insert();`);
    const sizes = [300, 40, 5];
    for (const [round, size] of sizes.entries()) {
      const [a, b] = [connector(), connector()];
      const emails = Array.from({ length: size }, (_, i) => `r${round}.p${i}@example.com`);
      // Opposite orders, different spellings: the locks are taken sorted and case-insensitively.
      const [ra, rb] = await Promise.all([
        a.write(t, emails.map((e) => create(e, 'from A')), `${ORIGIN}-a${round}`),
        b.write(t, [...emails].reverse().map((e) => create(e.toUpperCase(), 'from B')), `${ORIGIN}-b${round}`),
      ]);
      const created = [...ra, ...rb].filter((r) => r.ok).length;
      expect(created, `round ${round}`).toBe(emails.length);
      expect([...ra, ...rb].filter((r) => !r.ok).every((r) => !r.ok && r.error.errorClass === 'transient')).toBe(true);
    }
    expect(await duplicates(t)).toBe(0);
    expect((await db().admin.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n).toBe(sizes.reduce((x, y) => x + y));
  });
});
