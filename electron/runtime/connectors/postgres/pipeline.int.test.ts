import type pg from 'pg';
import { beforeAll, expect, test } from 'vitest';
import type { Runtime } from '../../runtime.js';
import { useCrmBillingRuntime } from './test-support/crm-billing-runtime.js';
import { waitFor } from './test-support/use-postgres.js';

/** Postgres ↔ Postgres through the whole runtime: the connector as the engine drives it. */


const pair = useCrmBillingRuntime('pipeline', { direction: 'both' });
let runtime: Runtime;
let crm: pg.Client;
let billing: pg.Client;

beforeAll(async () => {
  ({ runtime, crm, billing } = pair());
  await runtime.api['flows.start']({ flowId: pair().flowId });
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
  const [s0] = await runtime.api['status.get']({ flowId: pair().flowId });
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
  const [s1] = await runtime.api['status.get']({ flowId: pair().flowId });
  expect(applied(s1, 'a-to-b') - applied(s0, 'a-to-b')).toBe(40);
  expect(applied(s1, 'b-to-a') - applied(s0, 'b-to-a')).toBe(40);

  await crm.query(`DELETE FROM contacts WHERE email = 'ann@x.io'`);
  await waitFor(async () => (await one(billing, `SELECT count(*)::int AS n FROM customers WHERE email = 'ann@x.io'`))?.n === 0, 20_000, 'the delete in billing');

  const [status] = await runtime.api['status.get']({ flowId: pair().flowId });
  expect(status!.error).toBeNull();
  expect(status!.dlqDepth).toBe(0);
  for (const d of status!.syncs[0]!.directions) expect(d.errors).toBe(0);
  const slot = status!.systems.find((s) => s.systemId === 'crm');
  expect(slot?.detail).toMatchObject({ phase: 'streaming', slot: expect.stringMatching(/^sc_pg_pipeline_crm_/) });

  // Deleting the flow removes its replication slots, which would otherwise keep WAL on the server.
  const slotName = (slot!.detail as { slot: string }).slot;
  await runtime.api['flows.delete']({ flowId: pair().flowId });
  const left = await crm.query(`SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1`, [slotName]);
  expect(left.rows).toEqual([]);
});
