import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';
import { createPostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { until } from './test-support/synccanvas-process.js';

/**
 * `synccanvas run` killed during the initial Postgres snapshot, after it applied some copied rows
 * (the snapshot reads `contacts`, then stalls on `zz_hold`, which the test keeps locked);
 * rows are deleted at the source before the restart (the slot is dropped and the snapshot starts
 * over, so those deletes are never streamed). When the new snapshot ends, the target holds exactly
 * the source's rows, and a target row the flow never synced is untouched.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const db = usePostgres('snaprestart');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-snaprestart-'));
const children: ChildProcess[] = [];
const ROWS = 20_000;
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;

beforeAll(async () => {
  const { admin, server } = db();
  const pair = await createPostgresPair(admin, server, db().database, 'sc_kill');
  ({ sourceDb, targetDb, source, target } = pair);
  await source.query('CREATE TABLE contacts (id int PRIMARY KEY, email text NOT NULL UNIQUE, name text)');
  await source.query(`INSERT INTO contacts SELECT g, 'u' || g || '@x.io', 'U ' || g FROM generate_series(1, ${ROWS}) g`);
  await source.query('CREATE TABLE zz_hold (id int PRIMARY KEY, v text)');
  await target.query('CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, note text)');
  await target.query('CREATE TABLE zz_copy (id bigint PRIMARY KEY, v text)');
  await target.query(`INSERT INTO customers (email, full_name, note) VALUES ('own@x.io', 'Own', 'never synced')`);
  const system = pair.system;
  fs.writeFileSync(
    path.join(work, 'pg.flow.json'),
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-snapshot-restart',
      name: 'PG snapshot restart test',
      systems: [system('src', sourceDb), system('dst', targetDb)],
      syncs: [
        {
          id: 'contacts',
          a: { system: 'src', entity: 'contacts' },
          b: { system: 'dst', entity: 'customers' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'exact' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'full_name', owner: 'a' },
          ],
        },
        {
          id: 'hold',
          a: { system: 'src', entity: 'zz_hold' },
          b: { system: 'dst', entity: 'zz_copy' },
          direction: 'a-to-b',
          matchKey: { a: 'id', b: 'id', normalize: 'exact' },
          fields: [
            { a: 'id', b: 'id', owner: 'a' },
            { a: 'v', b: 'v', owner: 'a' },
          ],
        },
      ],
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

function startRun(): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [bin, 'run', path.join(work, 'pg.flow.json'), '--workspace', path.join(work, 'ws')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return Object.assign(child, { stderrText: () => err });
}

const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

describe('a restarted initial snapshot reconciles deletes', () => {
  it('rows the interrupted snapshot copied and the source deleted meanwhile leave the target; others stay', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    // Once the slot exists (creating it waits for transactions with an xid, as a lock would be), lock
    // the table the snapshot reads second: it copies all of contacts, then waits there.
    const { admin } = db();
    const first = startRun();
    await until('the replication slot', async () => (await admin.query('SELECT 1 FROM pg_replication_slots WHERE database = $1', [sourceDb])).rows.length > 0, 60_000);
    const lock = new pg.Client({ ...db().server, database: sourceDb });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE zz_hold IN ACCESS EXCLUSIVE MODE');
    const applied = async () => Number((await target.query(`SELECT count(*) AS n FROM customers`)).rows[0].n) - 1;
    await until('copied rows to be applied', async () => (await applied()) >= 2_000, 60_000);
    first.kill('SIGKILL');
    await exited(first);
    await lock.query('COMMIT');
    await lock.end();
    const copied = (await target.query(`SELECT email FROM customers WHERE email <> 'own@x.io' ORDER BY id`)).rows.map((r) => r.email as string);
    expect(copied.length, 'the first attempt applied some rows before it died').toBeGreaterThan(0);
    expect(copied.length, 'the first attempt died before the snapshot was complete').toBeLessThan(ROWS);

    // Deleted while no runtime runs: copied rows, and rows the first attempt had not reached.
    const gone = [...copied.slice(0, 5), ...copied.slice(-3), `u${ROWS}@x.io`, `u${ROWS - 1}@x.io`];
    await source.query('DELETE FROM contacts WHERE email = ANY($1)', [gone]);

    const second = startRun();
    try {
      const rows = async (c: pg.Client, sql: string) => (await c.query(sql)).rows.map((r) => JSON.stringify(r));
      const want = async () => rows(source, 'SELECT email, name FROM contacts ORDER BY email');
      const got = async () => rows(target, `SELECT email, full_name AS name FROM customers WHERE email <> 'own@x.io' ORDER BY email`);
      await until('the target to equal the source', async () => JSON.stringify(await got()) === JSON.stringify(await want()), 120_000).catch(async (e: Error) => {
        const left = (await target.query('SELECT email FROM customers WHERE email = ANY($1)', [gone])).rows.map((r) => r.email);
        throw new Error(`${e.message}: target ${(await got()).length} rows, source ${(await want()).length}; deleted rows still in the target: ${JSON.stringify(left)}; runtime said: ${second.stderrText().slice(-1500)}`);
      });
      expect(second.stderrText()).toContain('initial snapshot was interrupted');
      expect((await target.query(`SELECT full_name, note FROM customers WHERE email = 'own@x.io'`)).rows).toEqual([{ full_name: 'Own', note: 'never synced' }]);
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
  }, 300_000);
});
