import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { usePostgres, waitFor } from '../connectors/postgres/test-support/use-postgres.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { MemorySecretStore } from '../secrets/memory-store.js';
import { AWKWARD_COLUMNS, AWKWARD_TYPES_SQL, awkwardRow, createAwkwardTable, differences, writeAwkwardRows } from './test-support/awkward-postgres.js';

/**
 * Postgres → Postgres through the whole runtime (snapshot and stream), one way, matched on id:
 * random awkward values arrive exactly as they left, as Postgres itself judges, with nothing in
 * the DLQ. A value the target column cannot hold is refused into the DLQ with a reason naming the
 * field, the value and the type, and replays once the column is fixed.
 */

const db = usePostgres('values_pg');
let dir: string;
let runtime: Runtime;
let client: pg.Client;

const FLOW_ID = 'pg-values';

function flow(server: { host: string; port: number; user: string }, database: string): unknown {
  const system = (id: string) => ({
    id,
    name: id,
    kind: 'postgres',
    config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' },
    secretRefs: { password: 'pg-password' },
  });
  const names = ['id', ...AWKWARD_COLUMNS.map((c) => c.name), 'toasted'];
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: FLOW_ID,
    name: 'values',
    systems: [system('src'), system('dst')],
    syncs: [
      {
        id: 'rows',
        a: { system: 'src', entity: 'src_rows' },
        b: { system: 'dst', entity: 'dst_rows' },
        direction: 'a-to-b',
        matchKey: { a: 'id', b: 'id', normalize: 'exact' },
        fields: names.map((n) => ({ a: n, b: n, owner: 'a' as const })),
      },
      {
        id: 'narrow',
        a: { system: 'src', entity: 'narrow_src' },
        b: { system: 'dst', entity: 'narrow_dst' },
        direction: 'a-to-b',
        matchKey: { a: 'id', b: 'id', normalize: 'exact' },
        fields: [
          { a: 'id', b: 'id', owner: 'a' },
          { a: 'amount', b: 'amount', owner: 'a' },
        ],
      },
    ],
  };
}

beforeAll(async () => {
  const { admin, server, database, password } = db();
  client = admin;
  await admin.query(AWKWARD_TYPES_SQL);
  await admin.query(createAwkwardTable('src_rows'));
  await admin.query(createAwkwardTable('dst_rows'));
  await admin.query('CREATE TABLE narrow_src (id int PRIMARY KEY, amount numeric)');
  await admin.query('CREATE TABLE narrow_dst (id int PRIMARY KEY, amount int)');
  // Rows present before the flow starts travel through the initial snapshot.
  const before = fc.sample(awkwardRow(fc.bigInt({ min: 1n, max: 1_000n })), { seed: 12, numRuns: 30 });
  await writeAwkwardRows(admin, 'src_rows', before);

  dir = mkdtempSync(join(tmpdir(), 'sc-values-pg-'));
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'pg-password': password }) });
  const saved = await runtime.api['flows.save']({ flow: flow(server, database) });
  if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
  await runtime.api['flows.start']({ flowId: FLOW_ID });
}, 60_000);

afterAll(async () => {
  await runtime?.api['flows.delete']({ flowId: FLOW_ID }).catch(() => {});
  await runtime?.close({ drainMs: 0 });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function converged(ids?: string[]): Promise<void> {
  let last: unknown = null;
  try {
    await waitFor(async () => {
      const diff = await differences(client, 'src_rows', 'dst_rows', ids);
      last = diff;
      return diff.length === 0;
    }, 20_000, 'the target to equal the source');
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(last, null, 1).slice(0, 3000)}`);
  }
}

async function dlqDepth(): Promise<number> {
  const [status] = await runtime.api['status.get']({ flowId: FLOW_ID });
  return status!.dlqDepth;
}

test('the initial snapshot copies awkward values exactly', async () => {
  await converged();
  expect(await dlqDepth()).toBe(0);
}, 40_000);

test('streamed inserts and updates of random awkward values arrive exactly (Postgres judges)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(awkwardRow(fc.bigInt({ min: 1n, max: 2_000n })), { minLength: 1, maxLength: 12 }), async (rows) => {
      await client.query('BEGIN');
      await writeAwkwardRows(client, 'src_rows', rows);
      await client.query('COMMIT');
      await converged(rows.map((r) => r.id));
      expect(await dlqDepth()).toBe(0);
    }),
    { numRuns: 12, seed: 4242, endOnFailure: true },
  );
}, 300_000);

test('an update that leaves a TOASTed column unchanged keeps it in the target', async () => {
  // Random text does not compress, so 40 KB of it is stored out of line (TOAST).
  await client.query(`INSERT INTO src_rows (id, t, toasted) SELECT 5000, 'a', string_agg(md5(g::text), '') FROM generate_series(1, 1300) g`);
  await converged(['5000']);
  await client.query(`UPDATE src_rows SET t = 'b' WHERE id = 5000`);
  await waitFor(async () => (await client.query(`SELECT t FROM dst_rows WHERE id = 5000`)).rows[0]?.t === 'b', 20_000, 'the update');
  await converged(['5000']);
  const { rows } = await client.query(`SELECT length(toasted) AS n FROM dst_rows WHERE id = 5000`);
  expect(rows[0].n).toBe(41_600);
}, 60_000);

test('a value the target column cannot hold goes to the DLQ with its reason, and replays once the column is fixed', async () => {
  await client.query(`INSERT INTO narrow_src VALUES (1, 12345678901234567890.5), (2, 'NaN'), (3, 42)`);
  await waitFor(async () => (await client.query(`SELECT 1 FROM narrow_dst WHERE id = 3`)).rows.length === 1, 20_000, 'the row that fits');
  await waitFor(async () => (await dlqDepth()) === 2, 20_000, 'two entries in the DLQ');
  const { entries } = await runtime.api['dlq.list']({ filter: {}, limit: 10, offset: 0 });
  const messages = entries.map((e) => `${e.errorClass}: ${e.message}`).sort();
  expect(messages[0]).toMatch(/^validation: field "amount" .*"12345678901234567890\.5".*integer/);
  expect(messages[1]).toMatch(/^validation: field "amount" .*NaN.*integer/);
  // Nothing was rounded into the target.
  expect((await client.query(`SELECT id FROM narrow_dst ORDER BY id`)).rows).toEqual([{ id: 3 }]);

  await client.query(`ALTER TABLE narrow_dst ALTER COLUMN amount TYPE numeric`);
  await runtime.api['dlq.replay']({ ids: entries.map((e) => e.id) });
  await waitFor(async () => (await client.query(`SELECT 1 FROM narrow_dst`)).rows.length === 3, 20_000, 'the replayed rows');
  const same = await client.query(`SELECT count(*)::int AS n FROM narrow_src s JOIN narrow_dst t USING (id) WHERE s.amount IS NOT DISTINCT FROM t.amount AND s.amount::text = t.amount::text`);
  expect(same.rows[0].n).toBe(3);
  expect(await dlqDepth()).toBe(0);
}, 60_000);
