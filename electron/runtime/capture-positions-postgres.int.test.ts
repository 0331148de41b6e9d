import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { openRuntime, type Runtime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';
import { usePostgres, waitFor } from './connectors/postgres/test-support/use-postgres.js';
import { createDatabases, passwordSystem, TEST_PG_PASSWORD_SECRET } from './connectors/postgres/test-support/fresh-databases.js';

/**
 * Postgres changes are deduplicated by their position (commit LSN, index) against the last one the
 * workspace committed. A new replication slot starts positions over: here the workspace remembers a
 * position far beyond anything this server has written (as after pointing the system at another
 * server, or a restored backup), and the changes of the new slot must still all arrive.
 */

const db = usePostgres('positions');
let dir: string;
let runtime: Runtime;
let crm: pg.Client;
let billing: pg.Client;

beforeAll(async () => {
  const { admin, server } = db();
  [crm, billing] = await createDatabases(admin, server, ['positions_crm_db', 'positions_billing_db']);
  await crm.query('CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text)');
  await billing.query('CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text)');
  await crm.query(`INSERT INTO contacts (email, name) VALUES ('existing@x.io', 'Existing')`);

  dir = mkdtempSync(join(tmpdir(), 'sc-pg-positions-'));
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ [TEST_PG_PASSWORD_SECRET]: server.password }) });
  const system = (id: string, database: string) => passwordSystem(server, id, database);
  const saved = await runtime.api['flows.save']({
    flow: {
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-positions',
      name: 'CRM → Billing',
      systems: [system('crm', 'positions_crm_db'), system('billing', 'positions_billing_db')],
      syncs: [
        {
          id: 'contacts',
          a: { system: 'crm', entity: 'contacts' },
          b: { system: 'billing', entity: 'customers' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'full_name', owner: 'a' },
          ],
        },
      ],
    },
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  await db()
    .admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ('positions_crm_db', 'positions_billing_db') AND NOT active`)
    .catch(() => {});
  await crm?.end();
  await billing?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const count = async (client: pg.Client, sql: string) => Number((await client.query(sql)).rows[0]?.n);

test('a new replication slot starts change positions over: a workspace that saw higher LSNs elsewhere loses nothing', async () => {
  runtime.store.capturePositions.put('pg-positions', 'crm', 'FFFFFFFF00000000:00000000');
  await runtime.api['flows.start']({ flowId: 'pg-positions' });
  await waitFor(async () => (await count(billing, `SELECT count(*) AS n FROM customers WHERE email = 'existing@x.io'`)) === 1, 20_000, 'the snapshot row in billing');
  await crm.query(`INSERT INTO contacts (email, name) SELECT 'c' || g || '@x.io', 'C' || g FROM generate_series(1, 30) g`);
  await crm.query(`UPDATE contacts SET name = 'Renamed' WHERE email = 'c7@x.io'`);
  await waitFor(async () => (await count(billing, `SELECT count(*) AS n FROM customers WHERE email LIKE 'c%@x.io'`)) === 30, 20_000, 'the 30 new contacts in billing');
  await waitFor(async () => (await count(billing, `SELECT count(*) AS n FROM customers WHERE email = 'c7@x.io' AND full_name = 'Renamed'`)) === 1, 20_000, 'the update in billing');
  // The position now is this server's, and no change kept a dedupe key of its own (the snapshot's do).
  const position = runtime.store.capturePositions.get('pg-positions', 'crm');
  expect(position).toMatch(/^[0-9A-F]{16}:[0-9a-f]{8}$/);
  expect(position! < 'FFFFFFFF').toBe(true);
  expect(runtime.store.db.prepare(`SELECT count(*) FROM dedupe_keys WHERE event_id NOT LIKE 'pg:crm:snap:%'`).pluck().get()).toBe(0);
});
