import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';
import { createPostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { STEP_PAUSE_ENV } from './engine/step-pause.js';
import { exited, startSynccanvasRun, until as untilMs, type RuntimeProcess } from './test-support/synccanvas-process.js';

/**
 * Effect-once under SIGKILL in the worst window: `synccanvas run` is killed after the target write
 * committed and before the inbox commit (the test hook holds the process there), restarted, and
 * killed again, several times. A trigger on each target table logs every row write; a source change
 * is identified by (email, n) since every change bumps n. Each target table has its own source table. The log must hold each change once, into a
 * table with a version guard (`lsn`, fed the source commit LSN) and into one without any.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const db = usePostgres('effonce');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-effonce-'));
const children: ChildProcess[] = [];
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;

beforeAll(async () => {
  const { admin, server } = db();
  const pair = await createPostgresPair(admin, server, db().database, 'sc_kill');
  ({ sourceDb, targetDb, source, target } = pair);
  for (const t of ['contacts', 'people']) await source.query(`CREATE TABLE ${t} (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n int NOT NULL DEFAULT 0)`);
  await target.query(`
    CREATE TABLE guarded (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, n int, lsn numeric);
    CREATE TABLE plain (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, n int);
    CREATE TABLE write_log (tbl text NOT NULL, op text NOT NULL, email text, n int);
    CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO write_log VALUES (TG_TABLE_NAME, TG_OP, NEW.email, NEW.n); RETURN NEW; END $$;
    CREATE TRIGGER guarded_log AFTER INSERT OR UPDATE ON guarded FOR EACH ROW EXECUTE FUNCTION log_write();
    CREATE TRIGGER plain_log AFTER INSERT OR UPDATE ON plain FOR EACH ROW EXECUTE FUNCTION log_write();
  `);
  const system = (id: string, database: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: id,
    kind: 'postgres',
    config: { host: server.host, port: server.port, database, user: 'sc_kill', sslmode: 'disable', ...extra },
  });
  const sync = (id: string, from: string, entity: string) => ({
    id,
    a: { system: 'src', entity: from },
    b: { system: 'dst', entity },
    direction: 'a-to-b',
    matchKey: { a: 'email', b: 'email', normalize: 'exact' },
    fields: [
      { a: 'email', b: 'email', owner: 'a' },
      { a: 'name', b: 'full_name', owner: 'a' },
      { a: 'n', b: 'n', owner: 'a' },
    ],
  });
  fs.writeFileSync(
    path.join(work, 'pg.flow.json'),
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-effect-once',
      name: 'PG effect-once test',
      systems: [system('src', sourceDb), system('dst', targetDb, { versionColumn: 'lsn' })],
      syncs: [sync('to-guarded', 'contacts', 'guarded'), sync('to-plain', 'people', 'plain')],
    }),
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await source?.end();
  await target?.end();
  const { admin } = db();
  await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ($1, $2) AND NOT active`, [sourceDb, targetDb]).catch(() => {});
  fs.rmSync(work, { recursive: true, force: true });
});

function startRun(env: Record<string, string> = {}): RuntimeProcess {
  const child = startSynccanvasRun(path.join(work, 'pg.flow.json'), path.join(work, 'ws'), { env });
  children.push(child);
  return child;
}

const until = (what: string, cond: () => Promise<boolean>, ms = 30_000) => untilMs(what, cond, ms, 50).then(() => undefined);

const rows = async (c: pg.Client, table: string, name: string) => (await c.query(`SELECT email, ${name} AS name, n FROM ${table} ORDER BY email`)).rows;

describe('synccanvas run writes each change once, even when killed between the target write and the inbox commit', () => {
  it('the target write log holds every source change once, with and without a version guard', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    let next = 0;
    for (let round = 0; round < 4; round++) {
      // New records and updates of earlier ones, in the same batch window.
      for (const t of ['contacts', 'people']) {
        for (let i = 0; i < 5; i++) await source.query(`INSERT INTO ${t} (email, name) VALUES ($1, $2)`, [`k${next + i}@x.io`, `K ${next + i}`]);
        await source.query(`UPDATE ${t} SET n = n + 1, name = name || '.' WHERE id % 3 = $1`, [round % 3]);
      }
      next += 5;
      const run = startRun({ [STEP_PAUSE_ENV]: 'apply:after-write:5000' });
      await until('the runtime to pause after a target write', async () => run.stderrText().includes('paused at apply:after-write'), 60_000);
      run.kill('SIGKILL');
      await exited(run);
    }
    const logged = Number((await target.query('SELECT count(*) AS n FROM write_log')).rows[0].n);
    expect(logged, 'the killed runs wrote something before they died').toBeGreaterThan(0);

    const run = startRun();
    try {
      for (const [from, table] of [['contacts', 'guarded'], ['people', 'plain']] as const) {
        await until(`${table} to equal the source`, async () => JSON.stringify(await rows(target, table, 'full_name')) === JSON.stringify(await rows(source, from, 'name')), 60_000).catch(async (e: Error) => {
          const want = await rows(source, from, 'name');
          const got = new Map((await rows(target, table, 'full_name')).map((r) => [r.email, JSON.stringify(r)]));
          const diff = want.filter((r) => got.get(r.email) !== JSON.stringify(r)).slice(0, 5).map((r) => `${JSON.stringify(r)} ≠ ${got.get(r.email)}`);
          const Database = (await import('better-sqlite3')).default;
          const ws = new Database(path.join(work, 'ws', 'workspace.db'), { readonly: true });
          const dlq = ws.prepare('SELECT sync_id, key, message FROM dlq LIMIT 3').all();
          const pending = ws.prepare('SELECT sync_id, count(*) AS n FROM inbox GROUP BY sync_id').all();
          ws.close();
          throw new Error(`${e.message}: ${diff.join('; ')}; dlq ${JSON.stringify(dlq)}; inbox ${JSON.stringify(pending)}; runtime said: ${run.stderrText().slice(-1500)}`);
        });
      }
    } finally {
      run.kill('SIGTERM');
      await exited(run);
    }
    const duplicates = (
      await target.query(`SELECT tbl, email, n, count(*)::int AS writes FROM write_log GROUP BY tbl, email, n HAVING count(*) > 1 ORDER BY tbl, email, n`)
    ).rows;
    expect(duplicates, run.stderrText().slice(-1500)).toEqual([]);
    // Every change to each record reached both tables (n counts them), each exactly once.
    const perTable = (await target.query(`SELECT tbl, count(*)::int AS writes FROM write_log GROUP BY tbl ORDER BY tbl`)).rows;
    const changes = Number((await source.query('SELECT count(*) + sum(n) AS c FROM contacts')).rows[0].c); // the same for people
    expect(perTable).toEqual([
      { tbl: 'guarded', writes: expect.any(Number) },
      { tbl: 'plain', writes: expect.any(Number) },
    ]);
    for (const t of perTable) expect(t.writes).toBeLessThanOrEqual(changes);
  }, 240_000);
});
