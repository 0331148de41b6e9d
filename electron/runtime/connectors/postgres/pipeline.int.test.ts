import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../../shared/flow/schema.js';
import { openRuntime, type Runtime } from '../../runtime.js';
import { MemorySecretStore } from '../../secrets/memory-store.js';
import { usePostgres, waitFor } from './test-support/use-postgres.js';
import { createDatabases, passwordSystem, TEST_PG_PASSWORD_SECRET } from './test-support/fresh-databases.js';

/** Postgres ↔ Postgres through the whole runtime: the connector as the engine drives it. */

const db = usePostgres('pipeline');
let dir: string;
let runtime: Runtime;
let crm: pg.Client;
let billing: pg.Client;

beforeAll(async () => {
  const { admin, server } = db();
  [crm, billing] = await createDatabases(admin, server, ['pipeline_crm_db', 'pipeline_billing_db']);
  await crm.query('CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, plan text)');
  await billing.query('CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, plan text NOT NULL DEFAULT \'free\')');
  await crm.query(`INSERT INTO contacts (email, name) VALUES ('existing@x.io', 'Existing')`);

  dir = mkdtempSync(join(tmpdir(), 'sc-pg-pipeline-'));
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ [TEST_PG_PASSWORD_SECRET]: server.password }) });
  const system = (id: string, database: string) => passwordSystem(server, id, database);
  const saved = await runtime.api['flows.save']({
    flow: {
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-two-way',
      name: 'CRM ↔ Billing',
      systems: [system('crm', 'pipeline_crm_db'), system('billing', 'pipeline_billing_db')],
      syncs: [
        {
          id: 'contacts',
          a: { system: 'crm', entity: 'contacts' },
          b: { system: 'billing', entity: 'customers' },
          direction: 'both',
          matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'full_name', owner: 'a' },
            { a: 'plan', b: 'plan', owner: 'b' },
          ],
        },
      ],
    },
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
  await runtime.api['flows.start']({ flowId: 'pg-two-way' });
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  // The server is shared with other test files: leave no slot behind to hold WAL or a slot place.
  await db()
    .admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ('pipeline_crm_db', 'pipeline_billing_db') AND NOT active`)
    .catch(() => {});
  await crm?.end();
  await billing?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function one(client: pg.Client, sql: string, params: unknown[] = []): Promise<Record<string, unknown> | undefined> {
  return (await client.query(sql, params)).rows[0];
}

test('changes flow both ways through the runtime, each system owning its fields, with no echo', async () => {
  // The initial snapshot brings the existing contact over.
  await waitFor(() => one(billing, `SELECT * FROM customers WHERE email = 'existing@x.io'`), 20_000, 'the snapshot row in billing');

  await crm.query(`INSERT INTO contacts (email, name) VALUES ('ann@x.io', 'Ann')`);
  const created = await waitFor(() => one(billing, `SELECT * FROM customers WHERE email = 'ann@x.io'`), 20_000, 'ann in billing');
  expect(created).toMatchObject({ full_name: 'Ann', plan: 'free' });

  // Billing owns the plan: its change comes back to the CRM, and only that.
  await billing.query(`UPDATE customers SET plan = 'pro' WHERE email = 'ann@x.io'`);
  await waitFor(async () => (await one(crm, `SELECT plan FROM contacts WHERE email = 'ann@x.io'`))?.plan === 'pro', 20_000, 'the plan in the CRM');

  await crm.query(`UPDATE contacts SET name = 'Ann B' WHERE email = 'ann@x.io'`);
  await waitFor(async () => (await one(billing, `SELECT full_name FROM customers WHERE email = 'ann@x.io'`))?.full_name === 'Ann B', 20_000, 'the new name in billing');

  // Settled: neither side keeps rewriting the other (row versions stay put).
  await new Promise((r) => setTimeout(r, 1_000));
  const before = [await one(crm, `SELECT xmin::text AS x FROM contacts WHERE email = 'ann@x.io'`), await one(billing, `SELECT xmin::text AS x FROM customers WHERE email = 'ann@x.io'`)];
  await new Promise((r) => setTimeout(r, 1_000));
  const after = [await one(crm, `SELECT xmin::text AS x FROM contacts WHERE email = 'ann@x.io'`), await one(billing, `SELECT xmin::text AS x FROM customers WHERE email = 'ann@x.io'`)];
  expect(after).toEqual(before);

  // Concurrent edits on both sides, to different owners' fields of the same 40 records: both land,
  // each exactly once (one write per change), and nothing is echoed back.
  await crm.query(`INSERT INTO contacts (email, name) SELECT 'c' || g || '@x.io', 'C' || g FROM generate_series(1, 40) g`);
  await waitFor(async () => (await one(billing, `SELECT count(*)::int AS n FROM customers WHERE email LIKE 'c%@x.io'`))?.n === 40, 20_000, 'the 40 contacts in billing');
  await new Promise((r) => setTimeout(r, 500));
  const [s0] = await runtime.api['status.get']({ flowId: 'pg-two-way' });
  const applied = (s: typeof s0, d: 'a-to-b' | 'b-to-a') => s!.syncs[0]!.directions.find((x) => x.direction === d)!.applied;
  await Promise.all([
    (async () => {
      for (let g = 1; g <= 40; g++) await crm.query(`UPDATE contacts SET name = $1 WHERE email = $2`, [`Renamed ${g}`, `c${g}@x.io`]);
    })(),
    (async () => {
      for (let g = 1; g <= 40; g++) await billing.query(`UPDATE customers SET plan = 'gold' WHERE email = $1`, [`c${g}@x.io`]);
    })(),
  ]);
  await waitFor(
    async () =>
      (await one(billing, `SELECT count(*)::int AS n FROM customers WHERE email LIKE 'c%@x.io' AND full_name LIKE 'Renamed %'`))?.n === 40 &&
      (await one(crm, `SELECT count(*)::int AS n FROM contacts WHERE email LIKE 'c%@x.io' AND plan = 'gold'`))?.n === 40,
    20_000,
    'both sides converged',
  );
  await new Promise((r) => setTimeout(r, 1_000));
  const [s1] = await runtime.api['status.get']({ flowId: 'pg-two-way' });
  expect(applied(s1, 'a-to-b') - applied(s0, 'a-to-b')).toBe(40);
  expect(applied(s1, 'b-to-a') - applied(s0, 'b-to-a')).toBe(40);

  await crm.query(`DELETE FROM contacts WHERE email = 'ann@x.io'`);
  await waitFor(async () => (await one(billing, `SELECT count(*)::int AS n FROM customers WHERE email = 'ann@x.io'`))?.n === 0, 20_000, 'the delete in billing');

  const [status] = await runtime.api['status.get']({ flowId: 'pg-two-way' });
  expect(status!.error).toBeNull();
  expect(status!.dlqDepth).toBe(0);
  for (const d of status!.syncs[0]!.directions) expect(d.errors).toBe(0);
  const slot = status!.systems.find((s) => s.systemId === 'crm');
  expect(slot?.detail).toMatchObject({ phase: 'streaming', slot: expect.stringMatching(/^sc_pg_two_way_crm_/) });

  // Deleting the flow removes its replication slots, which would otherwise keep WAL on the server.
  const slotName = (slot!.detail as { slot: string }).slot;
  await runtime.api['flows.delete']({ flowId: 'pg-two-way' });
  const left = await db().admin.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
  expect(left.rows).toEqual([]);
});
