import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowStatus } from '../../shared/api/contract.js';
import { openRuntime, type Runtime } from './runtime.js';
import { until } from './test-support/synccanvas-process.js';
import { sqlitePeopleFlow } from './test-support/sqlite-people-flow.js';

/**
 * A system's own change that was made before our write landed, but is read after it (Billing polls
 * slowly here, as after a restart with a backlog on both sides). Its row image still holds the old
 * value of a field the CRM owns. Found by the SIGKILL test of the demo: that old value replaced what
 * the runtime knew Billing held, so the CRM's next edit back to that value was never written and the
 * two sides stayed apart for good. The change's other field (Billing's own) must still sync.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-2way-order-'));
let runtime: Runtime;
let crm: Database.Database;
let billing: Database.Database;

const flow = sqlitePeopleFlow({
  id: 'order',
  name: 'Two-way, slow billing poll',
  folder: dir,
  pollIntervalMs: { crm: 10, billing: 1500 },
  direction: 'both',
  fields: [
    { a: 'email', b: 'contact_email', owner: 'a' },
    { a: 'name', b: 'full_name', owner: 'a' },
    { a: 'plan', b: 'plan_code', owner: 'b' },
  ],
  sync: { ownershipViolation: 'report' },
});

async function status(): Promise<FlowStatus> {
  const [s] = await runtime.api['status.get']({ flowId: 'order' });
  return s!;
}
const logged = (db: Database.Database) => (db.prepare('SELECT COUNT(*) AS n FROM _synccanvas_changes').get() as { n: number }).n;
const customer = () => billing.prepare('SELECT full_name, plan_code FROM customers WHERE id = 101').get();
const contact = () => crm.prepare('SELECT name, plan FROM contacts WHERE id = 1').get();
const violations = async () => (await status()).syncs[0]!.directions.reduce((n, d) => n + d.ownershipViolations, 0);

beforeAll(async () => {
  crm = new Database(path.join(dir, 'crm.db'));
  crm.pragma('journal_mode = WAL');
  crm.exec("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, name TEXT, plan TEXT); INSERT INTO contacts VALUES (1, 'ann@x.com', 'Ann', NULL)");
  billing = new Database(path.join(dir, 'billing.db'));
  billing.pragma('journal_mode = WAL');
  billing.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, full_name TEXT, plan_code TEXT); INSERT INTO customers VALUES (101, 'ann@x.com', 'Ann', 'basic')");
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false });
  expect((await runtime.api['flows.save']({ flow })).ok).toBe(true);
  await runtime.api['flows.start']({ flowId: 'order' });
  await until('the first sync', () => (contact() as { plan: string | null }).plan === 'basic' && logged(billing) === 0 && logged(crm) === 0);
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  crm?.close();
  billing?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('two-way SQLite: a change made before our write but read after it', () => {
  it('keeps the owner\'s newer value, counts no violation, syncs the change\'s own field, and a later edit back to the old value is written', async () => {
    // Billing's poll has just run (its log is empty): both edits below happen before it polls again.
    await until('billing to poll', () => logged(billing) === 0);
    billing.prepare("UPDATE customers SET plan_code = 'pro' WHERE id = 101").run(); // its image: full_name 'Ann'
    crm.prepare("UPDATE contacts SET name = 'Annie' WHERE id = 1").run();
    await until('the CRM rename to reach billing', () => (customer() as { full_name: string }).full_name === 'Annie');
    expect(logged(billing), 'billing has not been polled since its own edit').toBeGreaterThan(0);
    await until('billing\'s plan change to reach the CRM', () => (contact() as { plan: string }).plan === 'pro' && logged(billing) === 0);
    expect(await violations()).toBe(0);

    crm.prepare("UPDATE contacts SET name = 'Ann' WHERE id = 1").run();
    await until('the rename back to reach billing', () => (customer() as { full_name: string }).full_name === 'Ann', 10_000);
    expect(customer()).toEqual({ full_name: 'Ann', plan_code: 'pro' });
    expect(contact()).toEqual({ name: 'Ann', plan: 'pro' });
  });
});
