import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { usePostgres, waitFor } from '../connectors/postgres/test-support/use-postgres.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { MemorySecretStore } from '../secrets/memory-store.js';
import { AWKWARD_COLUMNS, AWKWARD_TYPES_SQL, awkwardRow, createAwkwardTable, differences, writeAwkwardRows } from './test-support/awkward-postgres.js';

/**
 * Postgres → SQLite → Postgres through the runtime: awkward Postgres values parked in SQLite columns
 * of the documented types (TEXT for text forms, INTEGER for int8 and bool, `JSON TEXT` for json)
 * come back into the same Postgres types unchanged, as Postgres judges.
 */

const SQLITE_TYPE: Record<string, string> = {
  n: 'TEXT', f8: 'TEXT', i8: 'INTEGER', t: 'TEXT', b: 'TEXT', bo: 'INTEGER', d: 'TEXT', tm: 'TEXT', ts: 'TEXT', tstz: 'TEXT', iv: 'TEXT',
  u: 'TEXT', e: 'TEXT', ip: 'TEXT', ai: 'TEXT', at: 'TEXT', j: 'JSON TEXT', jb: 'JSON TEXT',
};
const COLUMNS = AWKWARD_COLUMNS.filter((c) => c.name in SQLITE_TYPE);

const db = usePostgres('values_psp');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-values-psp-'));
let runtime: Runtime;
let client: pg.Client;

beforeAll(async () => {
  const { admin, server, database, password } = db();
  client = admin;
  await admin.query(AWKWARD_TYPES_SQL);
  await admin.query(createAwkwardTable('src_rows', COLUMNS));
  await admin.query(createAwkwardTable('dst_rows', COLUMNS));
  const lite = new Database(path.join(dir, 'mid.db'));
  lite.exec(`CREATE TABLE mid (id INTEGER PRIMARY KEY, ${COLUMNS.map((c) => `${c.name} ${SQLITE_TYPE[c.name]}`).join(', ')}, toasted TEXT)`);
  lite.close();
  const pgSystem = (id: string) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'pg-password' } });
  const names = ['id', ...COLUMNS.map((c) => c.name), 'toasted'];
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'pg-password': password }) });
  // Two flows: within one flow, what it wrote into SQLite is its own echo and not carried on.
  const liteSystem = { id: 'lite', name: 'lite', kind: 'sqlite', config: { path: path.join(dir, 'mid.db'), pollIntervalMs: 10 } };
  const edge = (a: string, ae: string, b: string, be: string) => ({ id: 'rows', a: { system: a, entity: ae }, b: { system: b, entity: be }, direction: 'a-to-b', matchKey: { a: 'id', b: 'id', normalize: 'exact' }, fields: names.map((n) => ({ a: n, b: n, owner: 'a' })) });
  for (const [id, systems, sync] of [
    ['psp-in', [pgSystem('src'), liteSystem], edge('src', 'src_rows', 'lite', 'mid')],
    ['psp-out', [liteSystem, pgSystem('dst')], edge('lite', 'mid', 'dst', 'dst_rows')],
  ] as const) {
    const saved = await runtime.api['flows.save']({ flow: { schemaVersion: FLOW_SCHEMA_VERSION, id, name: id, systems, syncs: [sync] } });
    if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
    await runtime.api['flows.start']({ flowId: id });
  }
}, 60_000);

afterAll(async () => {
  for (const id of ['psp-in', 'psp-out']) await runtime?.api['flows.delete']({ flowId: id }).catch(() => {});
  await runtime?.close({ drainMs: 0 });
  fs.rmSync(dir, { recursive: true, force: true });
});

test('awkward Postgres values survive a stop in SQLite unchanged', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(awkwardRow(fc.bigInt({ min: 1n, max: 500n }), COLUMNS), { minLength: 1, maxLength: 10 }), async (rows) => {
      await writeAwkwardRows(client, 'src_rows', rows, COLUMNS);
      let last: unknown = null;
      try {
        await waitFor(async () => {
          last = await differences(client, 'src_rows', 'dst_rows', rows.map((r) => r.id), COLUMNS);
          return (last as unknown[]).length === 0;
        }, 20_000, 'the target to equal the source');
      } catch (e) {
        const { entries } = await runtime.api['dlq.list']({ filter: {}, limit: 5, offset: 0 });
        const status = await runtime.api['status.get']({});
        const lite = new Database(path.join(dir, 'mid.db'), { readonly: true });
        const mid = lite.prepare('SELECT count(*) AS n FROM mid').get();
        lite.close();
        throw new Error(`${(e as Error).message}: ${JSON.stringify(last).slice(0, 300)}; DLQ: ${entries.map((x) => x.message).join(' | ')}; mid: ${JSON.stringify(mid)}; status: ${JSON.stringify(status).slice(0, 1500)}`);
      }
    }),
    { numRuns: 10, seed: 77, endOnFailure: true },
  );
  for (const status of await runtime.api['status.get']({})) expect(status.dlqDepth).toBe(0);
}, 300_000);
