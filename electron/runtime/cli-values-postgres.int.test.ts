import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { trustLoopbackRole } from './connectors/postgres/test-support/trust-loopback-role.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';
import { AWKWARD_COLUMNS, AWKWARD_TYPES_SQL, createAwkwardTable, differences, seededAwkwardRows, writeAwkwardRows } from './values/test-support/awkward-postgres.js';

/**
 * `synccanvas run` on a Postgres → Postgres flow (one way, matched on id) fed by a seeded writer of
 * awkward values (NaN, ±infinity, BC dates, big numerics, bounded arrays, json with duplicate keys,
 * JSON null, -0, 40 KB text…), before the start (snapshot) and while it runs (stream): the target
 * equals the source exactly, as Postgres judges, and nothing is in the DLQ.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const db = usePostgres('cli_values');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-values-cli-'));
let child: ChildProcess | null = null;
let stderr = '';

beforeAll(async () => {
  const { admin, server, database } = db();
  await trustLoopbackRole(admin, 'sc_values');
  await admin.query(AWKWARD_TYPES_SQL);
  await admin.query(createAwkwardTable('src_rows'));
  await admin.query(createAwkwardTable('dst_rows'));
  const system = (id: string) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: 'sc_values', sslmode: 'disable' } });
  const names = ['id', ...AWKWARD_COLUMNS.map((c) => c.name), 'toasted'];
  fs.writeFileSync(
    path.join(work, 'values.flow.json'),
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-values-cli',
      name: 'awkward values',
      systems: [system('src'), system('dst')],
      syncs: [
        {
          id: 'rows',
          a: { system: 'src', entity: 'src_rows' },
          b: { system: 'dst', entity: 'dst_rows' },
          direction: 'a-to-b',
          matchKey: { a: 'id', b: 'id', normalize: 'exact' },
          fields: names.map((n) => ({ a: n, b: n, owner: 'a' })),
        },
      ],
    }),
  );
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  const { admin, database } = db();
  await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [database]).catch(() => {});
  fs.rmSync(work, { recursive: true, force: true });
});

it('synccanvas run copies seeded awkward values exactly, snapshot and stream, with an empty DLQ', async () => {
  expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
  const { admin } = db();
  await writeAwkwardRows(admin, 'src_rows', seededAwkwardRows(2026, 150, 1));
  child = spawn(process.execPath, [bin, 'run', path.join(work, 'values.flow.json'), '--workspace', path.join(work, 'ws')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // While it runs: new rows, and the first rows rewritten with other awkward values.
  await writeAwkwardRows(admin, 'src_rows', seededAwkwardRows(2027, 150, 151));
  await writeAwkwardRows(admin, 'src_rows', seededAwkwardRows(2028, 75, 1));
  let last: unknown[] = [];
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    last = await differences(admin, 'src_rows', 'dst_rows');
    if (last.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(last, `differences; runtime said: ${stderr.slice(-1500)}`).toEqual([]);
  expect((await admin.query('SELECT count(*)::int AS n FROM dst_rows')).rows[0].n).toBe(300);
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => (child!.exitCode !== null ? r(child!.exitCode) : child!.once('exit', (c) => r(c))));
  expect(code, stderr).toBe(0);
  const ws = new Database(path.join(work, 'ws', 'workspace.db'), { readonly: true });
  const dlq = ws.prepare('SELECT message FROM dlq').all();
  ws.close();
  expect(dlq).toEqual([]);
}, 120_000);
