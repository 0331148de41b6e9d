import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgres, waitFor } from './connectors/postgres/test-support/use-postgres.js';
import { createDatabases, passwordSystem, TEST_PG_PASSWORD_SECRET } from './connectors/postgres/test-support/fresh-databases.js';
import { openRuntime, type Runtime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

/**
 * Two-way Postgres ↔ Postgres races through the whole runtime: a user edit that commits while our
 * write waits for its row, a twin entered by hand right after we created the record, and a first
 * sync over rows that already agree. Compared in Postgres.
 */
const db = usePostgres('twoway');
const FLOW = 'pg-races';
let dir: string;
let runtime: Runtime;
let crm: pg.Client;
let billing: pg.Client;
let billingUser: pg.Client;
const agreed: Record<string, string> = {};

async function one(client: pg.Client, sql: string, params: unknown[] = []): Promise<Record<string, unknown> | undefined> {
  return (await client.query(sql, params)).rows[0];
}

async function violations(): Promise<number> {
  const [status] = await runtime.api['status.get']({ flowId: FLOW });
  return status!.syncs[0]!.directions.reduce((n, d) => n + d.ownershipViolations, 0);
}

beforeAll(async () => {
  const { admin, server } = db();
  [crm, billing] = await createDatabases(admin, server, ['twoway_crm_db', 'twoway_billing_db']);
  billingUser = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'twoway_billing_db' });
  await billingUser.connect();
  await crm.query('CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, plan text)');
  await billing.query("CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, plan text NOT NULL DEFAULT 'free')");
  // Records that already agree on both sides before the first sync: matched, never rewritten.
  await crm.query(`INSERT INTO contacts (email, name, plan) SELECT 'same' || g || '@x.io', 'Same ' || g, 'gold' FROM generate_series(1, 30) g`);
  await billing.query(`INSERT INTO customers (email, full_name, plan) SELECT 'same' || g || '@x.io', 'Same ' || g, 'gold' FROM generate_series(1, 30) g`);
  agreed.crm = String((await one(crm, `SELECT string_agg(xmin::text, ',' ORDER BY id) AS x FROM contacts`))!.x);
  agreed.billing = String((await one(billing, `SELECT string_agg(xmin::text, ',' ORDER BY id) AS x FROM customers`))!.x);

  dir = mkdtempSync(join(tmpdir(), 'sc-pg-races-'));
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ [TEST_PG_PASSWORD_SECRET]: server.password }) });
  const system = (id: string, database: string) => passwordSystem(server, id, database);
  const saved = await runtime.api['flows.save']({
    flow: {
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: FLOW,
      name: 'CRM ↔ Billing',
      systems: [system('crm', 'twoway_crm_db'), system('billing', 'twoway_billing_db')],
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
  await runtime.api['flows.start']({ flowId: FLOW });
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  await db()
    .admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ('twoway_crm_db', 'twoway_billing_db') AND NOT active`)
    .catch(() => {});
  await crm?.end();
  await billing?.end();
  await billingUser?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two-way Postgres ↔ Postgres', () => {
  test('the first sync links rows that already agree and rewrites none of them', async () => {
    const [status] = await waitFor(async () => {
      const s = await runtime.api['status.get']({ flowId: FLOW });
      const streaming = s[0]!.systems.every((x) => (x.detail as { phase?: string } | undefined)?.phase === 'streaming');
      return streaming && s[0]!.syncs[0]!.directions.every((d) => d.pending === 0) ? s : undefined;
    }, 20_000, 'both snapshots applied');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(String((await one(crm, `SELECT string_agg(xmin::text, ',' ORDER BY id) AS x FROM contacts`))!.x)).toBe(agreed.crm);
    expect(String((await one(billing, `SELECT string_agg(xmin::text, ',' ORDER BY id) AS x FROM customers`))!.x)).toBe(agreed.billing);
    expect(status!.dlqDepth).toBe(0);
  });

  test('a user edit that commits while our write waits for its row is older than our write: no ownership violation', async () => {
    await crm.query(`INSERT INTO contacts (email, name) VALUES ('lock@x.io', 'Before')`);
    await waitFor(() => one(billing, `SELECT id FROM customers WHERE email = 'lock@x.io'`), 20_000, 'the record created in billing');
    await new Promise((r) => setTimeout(r, 500));
    const before = await violations();
    // Billing's user holds the row (its change event will carry the CRM's previous name)…
    await billingUser.query('BEGIN');
    await billingUser.query(`UPDATE customers SET plan = 'pro' WHERE email = 'lock@x.io'`);
    // …while the CRM renames the contact: our write of the new name waits for that row.
    await crm.query(`UPDATE contacts SET name = 'After' WHERE email = 'lock@x.io'`);
    await waitFor(
      async () => (await one(billing, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'twoway_billing_db' AND wait_event_type = 'Lock'`))?.n === 1,
      20_000,
      'our write waiting for the row',
    );
    await billingUser.query('COMMIT');
    await waitFor(
      async () =>
        (await one(billing, `SELECT full_name FROM customers WHERE email = 'lock@x.io'`))?.full_name === 'After' &&
        (await one(crm, `SELECT plan FROM contacts WHERE email = 'lock@x.io'`))?.plan === 'pro',
      20_000,
      'both sides converged',
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await one(billing, `SELECT full_name, plan FROM customers WHERE email = 'lock@x.io'`)).toEqual({ full_name: 'After', plan: 'pro' });
    expect(await violations(), 'nobody changed a field they do not own').toBe(before);
  });

  test('a twin entered by hand right after we created the record is reported as a duplicate; its later changes wait behind the report', async () => {
    await crm.query(`INSERT INTO contacts (email, name) VALUES ('twin@x.io', 'Twin')`);
    await waitFor(() => one(billing, `SELECT id FROM customers WHERE email = 'twin@x.io'`), 20_000, 'the record created in billing');
    const twin = String((await one(billing, `INSERT INTO customers (email, full_name) VALUES ('TWIN@x.io', 'Twin by hand') RETURNING id`))!.id);
    const entry = await waitFor(async () => (await runtime.api['dlq.list']({ filter: { flowId: FLOW }, limit: 10, offset: 0 })).entries.find((e) => e.key === twin), 20_000, 'the twin reported');
    expect(entry.message).toMatch(/^duplicate: customers \d+ has email "TWIN@x\.io", like contacts \d+, which is already synced with customers \d+: merge the two customers records/);
    expect(entry.message).not.toMatch(/match field/);
    expect(await one(crm, `SELECT count(*)::int AS n FROM contacts WHERE lower(email) = 'twin@x.io'`)).toEqual({ n: 1 });

    // Later changes of the twin wait behind the report (in order), not each failing again.
    await billing.query(`UPDATE customers SET full_name = 'Twin, renamed' WHERE id = $1`, [twin]);
    await new Promise((r) => setTimeout(r, 500));
    const held = await runtime.api['dlq.list']({ filter: { flowId: FLOW }, limit: 10, offset: 0 });
    expect(held.entries.map((e) => e.key)).toEqual([twin]);
    // The user merges the twin into the synced record (deletes it) and discards the report.
    await billing.query(`DELETE FROM customers WHERE id = $1`, [twin]);
    await new Promise((r) => setTimeout(r, 300));
    await runtime.api['dlq.discard']({ ids: [entry.id] });
    await waitFor(async () => (await runtime.api['status.get']({ flowId: FLOW }))[0]!.syncs[0]!.directions.every((d) => d.pending === 0), 20_000, 'the held changes applied');
    await new Promise((r) => setTimeout(r, 500));
    expect(await one(crm, `SELECT count(*)::int AS n, min(name) AS name FROM contacts WHERE lower(email) = 'twin@x.io'`)).toEqual({ n: 1, name: 'Twin' });
    expect(await one(billing, `SELECT count(*)::int AS n, min(full_name) AS name FROM customers WHERE lower(email) = 'twin@x.io'`)).toEqual({ n: 1, name: 'Twin' });
    const [status] = await runtime.api['status.get']({ flowId: FLOW });
    expect(status!.dlqDepth).toBe(0);
  });
});
