import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import type { WriteOp } from '../types.js';
import { PostgresConnector } from './connector.js';
import { classifyPgError } from './errors.js';
import { isLsn } from './lsn.js';
import { CollectingSink } from './test-support/collecting-sink.js';
import { startTcpProxy, type TcpProxy } from './test-support/tcp-proxy.js';
import { usePostgres, waitFor } from './test-support/use-postgres.js';

/**
 * A Postgres target that cannot be reached (the network cut by a proxy) or is not accepting
 * connections (ALLOW_CONNECTIONS false): every write of the batch fails as `unavailable`, nothing
 * is written, and the writer recovers by itself once the server is back.
 */
const db = usePostgres('avail');
const ORIGIN = 'synccanvas:flow-avail';
const cleanups: Array<() => Promise<void>> = [];
let seq = 0;

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function proxy(): Promise<TcpProxy> {
  const p = await startTcpProxy({ host: db().server.host, port: db().server.port });
  cleanups.push(() => p.close());
  return p;
}

function connector(patch: Record<string, unknown> = {}): PostgresConnector {
  const c = new PostgresConnector({ config: { ...db().config, ...patch }, password: db().password, flowId: `flow-avail${++seq}`, systemId: 'billing' });
  cleanups.push(() => c.close());
  return c;
}

const upsert = (key: string, name: string): WriteOp => ({ kind: 'upsert', key, fields: { name }, idempotencyKey: `i-${key}-${name}`, sourceTime: Date.now() });

async function table(): Promise<string> {
  const name = `av${++seq}`;
  await db().admin.query(`CREATE TABLE ${name} (id int PRIMARY KEY, name text NOT NULL)`);
  return name;
}

describe('the TCP proxy', () => {
  test('forwards, refuses while cut, resets while cut in reset mode, and forwards again after restore', async () => {
    const p = await proxy();
    const client = (port = p.port) => new pg.Client({ host: p.host, port, user: db().server.user, password: db().password, database: db().database });
    const c1 = client();
    c1.on('error', () => {});
    await c1.connect();
    expect((await c1.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(p.forwarded).toBe(1);

    await p.cut('refuse');
    const broken = await c1.query('SELECT 1').then(() => null, (e: unknown) => e);
    expect(classifyPgError(broken).errorClass).toBe('unavailable');
    const refused = await client().connect().then(() => null, (e: { code?: string }) => e);
    expect(refused?.code).toBe('ECONNREFUSED');
    expect(classifyPgError(refused).errorClass).toBe('unavailable');

    await p.restore();
    await p.cut('reset');
    const reset = client();
    reset.on('error', () => {});
    const resetError = await reset.connect().then(() => null, (e: unknown) => e);
    expect(resetError).not.toBeNull();
    expect(classifyPgError(resetError).errorClass).toBe('unavailable');

    await p.restore();
    const c2 = client();
    await c2.connect();
    expect((await c2.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await c2.end();
  });
});

describe('PostgresWriter when the server is unavailable', () => {
  test('a cut network fails the whole batch as unavailable, writes nothing, and the next write after restore lands', async () => {
    const t = await table();
    const p = await proxy();
    const c = connector({ host: p.host, port: p.port });
    expect(await c.write(t, [upsert('1', 'one')], ORIGIN)).toMatchObject([{ ok: true, key: '1', created: true }]);

    await p.cut('refuse');
    const during = await c.write(t, [upsert('2', 'two'), upsert('3', 'three')], ORIGIN);
    expect(during.map((r) => (r.ok ? 'ok' : r.error.errorClass))).toEqual(['unavailable', 'unavailable']);
    // A second write while cut: a new connection is refused.
    const again = await c.write(t, [upsert('2', 'two')], ORIGIN);
    expect(again[0]).toMatchObject({ ok: false, error: { errorClass: 'unavailable' } });
    expect((again[0] as { error: { message: string } }).error.message).toMatch(/ECONNREFUSED/);
    expect((await db().admin.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n).toBe(1);

    await p.restore();
    expect(await c.write(t, [upsert('2', 'two'), upsert('3', 'three')], ORIGIN)).toMatchObject([
      { ok: true, key: '2', created: true },
      { ok: true, key: '3', created: true },
    ]);
  });

  test('a network that silently drops packets fails the write as unavailable after queryTimeoutSeconds instead of hanging, and the next write after restore lands', async () => {
    const t = await table();
    const p = await proxy();
    const c = connector({ host: p.host, port: p.port, queryTimeoutSeconds: 1 });
    expect(await c.write(t, [upsert('1', 'one')], ORIGIN)).toMatchObject([{ ok: true, key: '1', created: true }]);

    await p.cut('blackhole');
    const started = Date.now();
    const during = await Promise.race([
      c.write(t, [upsert('2', 'two'), upsert('3', 'three')], ORIGIN),
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8_000)),
    ]);
    expect(during, 'the write hangs on a black-holed session').not.toBe('hung');
    expect((during as Awaited<ReturnType<typeof c.write>>).map((r) => (r.ok ? 'ok' : r.error.errorClass))).toEqual(['unavailable', 'unavailable']);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A new session into the black hole: the connect timeout or the query timeout, still unavailable.
    const again = await c.write(t, [upsert('2', 'two')], ORIGIN);
    expect(again[0]).toMatchObject({ ok: false, error: { errorClass: 'unavailable' } });
    expect((await db().admin.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n).toBe(1);

    await p.restore();
    expect(await c.write(t, [upsert('2', 'two'), upsert('3', 'three')], ORIGIN)).toMatchObject([
      { ok: true, key: '2', created: true },
      { ok: true, key: '3', created: true },
    ]);
  }, 40_000);

  test('a record read on a black-holed network fails within queryTimeoutSeconds', async () => {
    const t = await table();
    await db().admin.query(`INSERT INTO ${t} VALUES (1, 'one')`);
    const p = await proxy();
    const c = connector({ host: p.host, port: p.port, queryTimeoutSeconds: 1 });
    expect(await c.readSamples(t, 5)).toHaveLength(1);
    await p.cut('blackhole');
    const outcome = await Promise.race([
      c.readSamples(t, 5).then(() => 'answered', (e: unknown) => classifyPgError(e).errorClass),
      new Promise<string>((r) => setTimeout(() => r('hung'), 8_000)),
    ]);
    expect(outcome).toBe('unavailable');
    await p.restore();
  }, 30_000);

  test('a database not accepting connections (SQLSTATE 55000) is unavailable, not a permanent error', async () => {
    const { admin, server } = db();
    const name = `${db().database}_closed`;
    await admin.query(`CREATE DATABASE ${name}`);
    const setup = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: name });
    await setup.connect();
    await setup.query('CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL)');
    await setup.end();
    cleanups.push(async () => {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    });
    const c = connector({ database: name });
    expect(await c.write('t', [upsert('1', 'one')], ORIGIN)).toMatchObject([{ ok: true, key: '1', created: true }]);

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    // The session was terminated (57P01, or a reset socket, by timing); reconnecting meets 55000.
    const seen: string[] = [];
    for (let i = 0; i < 5 && !seen.includes('55000'); i++) {
      const [r] = await c.write('t', [upsert('2', 'two')], ORIGIN);
      expect(r).toMatchObject({ ok: false, error: { errorClass: 'unavailable' } });
      if (r && !r.ok) {
        seen.push(r.error.response ?? '');
        if (r.error.response === '55000') expect(r.error.message).toMatch(/not currently accepting connections/);
      }
    }
    expect(seen).toContain('55000');

    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    expect(await c.write('t', [upsert('2', 'two')], ORIGIN)).toMatchObject([{ ok: true, key: '2', created: true }]);
  });
});

describe('Postgres capture when the source is unavailable', () => {
  test('reports the source unreachable while the network is cut, and reachable again once it streams, losing nothing', async () => {
    const { admin } = db();
    const t = await table();
    const p = await proxy();
    const c = connector({ host: p.host, port: p.port });
    const sink = new CollectingSink();
    const reports: ({ message: string; retryInMs?: number } | null)[] = [];
    const abort = new AbortController();
    const handle = await c.startCapture({ ...sink.context([t], abort.signal), reportAvailability: (r) => reports.push(r) });
    cleanups.push(async () => {
      abort.abort();
      await handle.stop();
    });
    await waitFor(() => sink.checkpoint !== null && isLsn(sink.checkpoint), 10_000, 'snapshot handover');
    await admin.query(`INSERT INTO ${t} VALUES (1, 'before')`);
    await waitFor(() => sink.changes.some((ch) => ch.key === '1'), 10_000, 'the first change');

    await p.cut('refuse');
    const down = await waitFor(() => reports.find((r) => r !== null), 10_000, 'an unavailable report');
    expect(down.message).toMatch(/replication stream failed/);
    expect(down.retryInMs).toBeGreaterThan(0);
    // Changes made during the outage wait on the server, in the slot.
    await admin.query(`INSERT INTO ${t} VALUES (2, 'during')`);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.changes.some((ch) => ch.key === '2')).toBe(false);

    await p.restore();
    await waitFor(() => reports.at(-1) === null, 30_000, 'a reachable-again report');
    await waitFor(() => sink.changes.some((ch) => ch.key === '2'), 10_000, 'the change made during the outage');
  });

  test('a capture that cannot reach the source when it starts waits, reports it, and streams once the source is back', async () => {
    const { admin } = db();
    const t = await table();
    const p = await proxy();
    const c = connector({ host: p.host, port: p.port });
    const sink = new CollectingSink();
    const reports: ({ message: string; retryInMs?: number } | null)[] = [];
    const abort = new AbortController();
    await p.cut('refuse');
    const handle = await c.startCapture({ ...sink.context([t], abort.signal), reportAvailability: (r) => reports.push(r) });
    cleanups.push(async () => {
      abort.abort();
      await handle.stop();
    });
    const down = await waitFor(() => reports.find((r) => r !== null), 10_000, 'an unavailable report');
    expect(down.message).toMatch(/capture could not start: .*ECONNREFUSED/);
    await admin.query(`INSERT INTO ${t} VALUES (1, 'during')`);

    await p.restore();
    await waitFor(() => sink.changes.some((ch) => ch.key === '1'), 20_000, 'the row made during the outage (by the snapshot)');
    await waitFor(() => reports.at(-1) === null, 10_000, 'a reachable-again report');
    await admin.query(`INSERT INTO ${t} VALUES (2, 'after')`);
    await waitFor(() => sink.changes.some((ch) => ch.key === '2'), 10_000, 'a change streamed after the restore');
  }, 40_000);

  test('a capture start that waits for the source ends when stopped', async () => {
    const t = await table();
    const p = await proxy();
    const c = connector({ host: p.host, port: p.port });
    const sink = new CollectingSink();
    const abort = new AbortController();
    await p.cut('refuse');
    const handle = await c.startCapture(sink.context([t], abort.signal));
    abort.abort();
    await handle.stop();
    await p.restore();
    await new Promise((r) => setTimeout(r, 1_500));
    // Stopped means stopped: no late start after the source came back.
    expect(sink.changes).toEqual([]);
    expect(sink.checkpoint).toBeNull();
  });
});
