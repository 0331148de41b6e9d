import type pg from 'pg';
import { expect, test } from 'vitest';
import { useCrmBillingRuntime } from './connectors/postgres/test-support/crm-billing-runtime.js';
import { waitFor } from './connectors/postgres/test-support/use-postgres.js';

/**
 * Postgres changes are deduplicated by their position (commit LSN, index) against the last one the
 * workspace committed. A new replication slot starts positions over: here the workspace remembers a
 * position far beyond anything this server has written (as after pointing the system at another
 * server, or a restored backup), and the changes of the new slot must still all arrive.
 */

const pair = useCrmBillingRuntime('positions', { direction: 'a-to-b' });

const count = async (client: pg.Client, sql: string) => Number((await client.query(sql)).rows[0]?.n);

test('a new replication slot starts change positions over: a workspace that saw higher LSNs elsewhere loses nothing', async () => {
  const { runtime, crm, billing, flowId } = pair();
  runtime.store.capturePositions.put(flowId, 'crm', 'FFFFFFFF00000000:00000000');
  await runtime.api['flows.start']({ flowId });
  await waitFor(async () => (await count(billing, `SELECT count(*) AS n FROM customers WHERE email = 'existing@x.io'`)) === 1, 20_000, 'the snapshot row in billing');
  await crm.query(`INSERT INTO contacts (email, name) SELECT 'c' || g || '@x.io', 'C' || g FROM generate_series(1, 30) g`);
  await crm.query(`UPDATE contacts SET name = 'Renamed' WHERE email = 'c7@x.io'`);
  await waitFor(async () => (await count(billing, `SELECT count(*) AS n FROM customers WHERE email LIKE 'c%@x.io'`)) === 30, 20_000, 'the 30 new contacts in billing');
  await waitFor(async () => (await count(billing, `SELECT count(*) AS n FROM customers WHERE email = 'c7@x.io' AND full_name = 'Renamed'`)) === 1, 20_000, 'the update in billing');
  // The position now is this server's, and no change kept a dedupe key of its own (the snapshot's do).
  const position = runtime.store.capturePositions.get(flowId, 'crm');
  expect(position).toMatch(/^[0-9A-F]{16}:[0-9a-f]{8}$/);
  expect(position! < 'FFFFFFFF').toBe(true);
  expect(runtime.store.db.prepare(`SELECT count(*) FROM dedupe_keys WHERE event_id NOT LIKE 'pg:crm:snap:%'`).pluck().get()).toBe(0);
});
