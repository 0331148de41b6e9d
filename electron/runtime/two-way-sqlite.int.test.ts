import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectionStats, FlowStatus } from '../../shared/api/contract.js';
import { openRuntime, type Runtime } from './runtime.js';
import { until } from './test-support/synccanvas-process.js';
import { sqlitePeopleFlow } from './test-support/sqlite-people-flow.js';

/**
 * The two-way guarantees end to end on real SQLite databases through the real runtime: owned fields
 * travel one way each with zero echo writes, a non-owner edit is counted and reverted, edits to a
 * shared field inside the window become a conflict that is resolved with a click, deletes leave
 * tombstones, unknown columns are reported and a value of the wrong type goes to the DLQ.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-2way-'));
let runtime: Runtime;
let crm: Database.Database;
let billing: Database.Database;

const flow = sqlitePeopleFlow({
  id: 'two-way',
  name: 'Two-way on SQLite',
  folder: dir,
  pollIntervalMs: { crm: 10, billing: 10 },
  direction: 'both',
  fields: [
    { a: 'email', b: 'contact_email', owner: 'a' },
    { a: 'name', b: 'full_name', owner: 'a' },
    { a: 'plan', b: 'plan_code', owner: 'b' },
    { a: 'seats', b: 'seat_count', owner: 'b' },
    { a: 'notes', b: 'memo', owner: 'shared' },
  ],
  sync: { conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 5000 }, ownershipViolation: 'revert' },
});

async function status(): Promise<FlowStatus> {
  const [s] = await runtime.api['status.get']({ flowId: 'two-way' });
  return s!;
}
const dirStats = (s: FlowStatus, d: 'a-to-b' | 'b-to-a'): DirectionStats => s.syncs[0]!.directions.find((x) => x.direction === d)!;

/** Wait until the runtime has nothing left to do: change logs consumed, inbox empty, counters still. */
async function settle(): Promise<FlowStatus> {
  let last = '';
  let stableSince = Date.now();
  await until('the flow to settle', async () => {
    const s = await status();
    const logs = (crm.prepare('SELECT COUNT(*) AS n FROM _synccanvas_changes').get() as { n: number }).n + (billing.prepare('SELECT COUNT(*) AS n FROM _synccanvas_changes').get() as { n: number }).n;
    const key = JSON.stringify([s.inboxPending, s.syncs[0]!.directions.map((d) => [d.applied, d.echoesSuppressed, d.ownershipViolations, d.conflicts])]);
    if (key !== last) {
      last = key;
      stableSince = Date.now();
    }
    return s.inboxPending === 0 && logs === 0 && Date.now() - stableSince > 300;
  });
  return status();
}

beforeAll(async () => {
  crm = new Database(path.join(dir, 'crm.db'));
  crm.pragma('journal_mode = WAL');
  crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, name TEXT, plan TEXT, seats INTEGER, notes TEXT)');
  billing = new Database(path.join(dir, 'billing.db'));
  billing.pragma('journal_mode = WAL');
  billing.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, full_name TEXT, plan_code TEXT, seat_count TEXT, memo TEXT)');
  const c = crm.prepare('INSERT INTO contacts (id, email, name, plan, seats, notes) VALUES (?, ?, ?, ?, ?, ?)');
  c.run(1, 'ann@x.com', 'Ann', null, null, null);
  c.run(2, 'bob@x.com', 'Bob', null, null, null);
  c.run(3, 'cy@x.com', 'Cy', null, null, null);
  const b = billing.prepare('INSERT INTO customers (id, contact_email, full_name, plan_code, seat_count, memo) VALUES (?, ?, ?, ?, ?, ?)');
  b.run(101, 'ANN@x.com', 'Ann', 'pro', '3', null);
  b.run(102, 'bob@x.com', 'Robert', 'basic', '1', null);
  b.run(103, 'dee@x.com', 'Dee', 'pro', '5', null);
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false });
  const saved = await runtime.api['flows.save']({ flow });
  expect(saved.ok).toBe(true);
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  crm?.close();
  billing?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('two-way sync between two SQLite databases', () => {
  it('reports matching before anything is written', async () => {
    const report = await runtime.api['matching.report']({ flowId: 'two-way', syncId: 'people', limit: 100 });
    expect(report.matched).toBe(2); // ann (case differs) and bob
    expect(report.unmatched).toEqual({ a: ['3'], b: ['103'] });
    expect(crm.prepare('SELECT COUNT(*) AS n FROM contacts').get()).toEqual({ n: 3 });
    expect(billing.prepare('SELECT COUNT(*) AS n FROM customers').get()).toEqual({ n: 3 });
  });

  it('first sync: matches, creates and aligns owned fields on both sides', async () => {
    await runtime.api['flows.start']({ flowId: 'two-way' });
    await settle();
    const contacts = crm.prepare('SELECT email, name, plan, seats FROM contacts ORDER BY email').all();
    const customers = billing.prepare('SELECT contact_email, full_name, plan_code, seat_count FROM customers ORDER BY contact_email').all();
    expect(contacts).toEqual([
      { email: 'ann@x.com', name: 'Ann', plan: 'pro', seats: 3 },
      { email: 'bob@x.com', name: 'Bob', plan: 'basic', seats: 1 },
      { email: 'cy@x.com', name: 'Cy', plan: null, seats: null },
      { email: 'dee@x.com', name: 'Dee', plan: 'pro', seats: 5 },
    ]);
    expect(customers).toEqual([
      { contact_email: 'ann@x.com', full_name: 'Ann', plan_code: 'pro', seat_count: '3' },
      { contact_email: 'bob@x.com', full_name: 'Bob', plan_code: 'basic', seat_count: '1' },
      { contact_email: 'cy@x.com', full_name: 'Cy', plan_code: null, seat_count: null },
      { contact_email: 'dee@x.com', full_name: 'Dee', plan_code: 'pro', seat_count: '5' },
    ]);
  });

  it('owned edits travel one way each, with zero echo writes', async () => {
    const before = await settle();
    crm.prepare("UPDATE contacts SET name = 'Ann Lee' WHERE email = 'ann@x.com'").run();
    crm.prepare("UPDATE contacts SET name = 'Bobby' WHERE email = 'bob@x.com'").run();
    billing.prepare("UPDATE customers SET plan_code = 'enterprise' WHERE contact_email = 'dee@x.com'").run();
    billing.prepare("UPDATE customers SET plan_code = 'pro' WHERE contact_email = 'bob@x.com'").run();
    const after = await settle();
    expect(billing.prepare("SELECT full_name FROM customers WHERE contact_email = 'ann@x.com'").get()).toEqual({ full_name: 'Ann Lee' });
    expect(crm.prepare("SELECT plan FROM contacts WHERE email = 'dee@x.com'").get()).toEqual({ plan: 'enterprise' });
    // Exactly one write per user change; the four changes' echoes were suppressed, none written back.
    expect(dirStats(after, 'a-to-b').applied - dirStats(before, 'a-to-b').applied).toBe(2);
    expect(dirStats(after, 'b-to-a').applied - dirStats(before, 'b-to-a').applied).toBe(2);
    const echoes = (s: FlowStatus) => dirStats(s, 'a-to-b').echoesSuppressed + dirStats(s, 'b-to-a').echoesSuppressed;
    expect(echoes(after) - echoes(before)).toBeGreaterThanOrEqual(4);
  });

  it('counts a non-owner edit as a violation and reverts it to the owner value', async () => {
    const before = await settle();
    billing.prepare("UPDATE customers SET full_name = 'Hacked' WHERE contact_email = 'cy@x.com'").run();
    const after = await settle();
    expect(dirStats(after, 'b-to-a').ownershipViolations - dirStats(before, 'b-to-a').ownershipViolations).toBe(1);
    expect(crm.prepare("SELECT name FROM contacts WHERE email = 'cy@x.com'").get()).toEqual({ name: 'Cy' });
    expect(billing.prepare("SELECT full_name FROM customers WHERE contact_email = 'cy@x.com'").get()).toEqual({ full_name: 'Cy' });
  });

  it('turns edits of a shared field inside the window into a conflict, resolved with one call', async () => {
    await settle();
    runtime.api['flows.stop']({ flowId: 'two-way' });
    // Both edits happen while the runtime is busy elsewhere, a moment apart: too close to call.
    crm.prepare("UPDATE contacts SET notes = 'VIP, call first' WHERE email = 'ann@x.com'").run();
    billing.prepare("UPDATE customers SET memo = 'Paid by transfer' WHERE contact_email = 'ann@x.com'").run();
    await runtime.api['flows.start']({ flowId: 'two-way' });
    const s = await settle();
    expect(s.syncs[0]!.directions.reduce((n, d) => n + d.conflicts, 0)).toBeGreaterThanOrEqual(1);
    const { entries } = await runtime.api['dlq.list']({ filter: { flowId: 'two-way', errorClass: 'conflict' }, limit: 10, offset: 0 });
    expect(entries.length).toBeGreaterThanOrEqual(1);
    // Nothing is silently dropped: the review queue holds both edits to choose from.
    const conflict = (entries[0]!.detail as { conflicts: { a: string; b: string; aValue: unknown; bValue: unknown }[] }).conflicts[0]!;
    expect(conflict).toMatchObject({ a: 'notes', b: 'memo', aValue: 'VIP, call first', bValue: 'Paid by transfer' });
    for (const e of entries) await runtime.api['conflicts.resolve']({ id: e.id, value: 'VIP, call first; paid by transfer' });
    await settle();
    expect(crm.prepare("SELECT notes FROM contacts WHERE email = 'ann@x.com'").get()).toEqual({ notes: 'VIP, call first; paid by transfer' });
    expect(billing.prepare("SELECT memo FROM customers WHERE contact_email = 'ann@x.com'").get()).toEqual({ memo: 'VIP, call first; paid by transfer' });
    expect((await runtime.api['dlq.list']({ filter: { flowId: 'two-way', errorClass: 'conflict' }, limit: 10, offset: 0 })).total).toBe(0);
  });

  it('deletes on one side delete on the other and leave a tombstone', async () => {
    const before = await settle();
    crm.prepare("DELETE FROM contacts WHERE email = 'cy@x.com'").run();
    const after = await settle();
    expect(billing.prepare("SELECT COUNT(*) AS n FROM customers WHERE contact_email = 'cy@x.com'").get()).toEqual({ n: 0 });
    expect(dirStats(after, 'a-to-b').tombstones - dirStats(before, 'a-to-b').tombstones).toBe(1);
    expect(after.syncs[0]!.tombstoneTtlMs).toBeGreaterThanOrEqual(24 * 60 * 60_000);
  });

  it('reports an unknown column and dead-letters a value of the wrong type with a clear reason', async () => {
    await settle();
    // Someone adds a column to Billing while the flow runs: it is reported, not synced, not fatal.
    billing.exec('ALTER TABLE customers ADD COLUMN fax TEXT');
    await new Promise((r) => setTimeout(r, 200));
    billing.prepare("UPDATE customers SET seat_count = 'many', fax = '555' WHERE contact_email = 'dee@x.com'").run();
    const s = await settle();
    expect(s.syncs[0]!.unknownFields).toEqual([expect.objectContaining({ system: 'billing', field: 'fax', count: 1 })]);
    const { entries } = await runtime.api['dlq.list']({ filter: { flowId: 'two-way', errorClass: 'validation' }, limit: 10, offset: 0 });
    expect(entries.map((e) => e.message)).toContain('field "seats" expects a whole number but got "many" (string); the target column is INTEGER');
    expect(s.syncs[0]!.directions.find((d) => d.direction === 'b-to-a')!.dlqDepth).toBeGreaterThanOrEqual(1);
    // Fix the data at the source: the change waits behind the failed one of its record (per-record
    // order), and the entry says so; discarding the failed change lets it flow.
    billing.prepare("UPDATE customers SET seat_count = '7' WHERE contact_email = 'dee@x.com'").run();
    const failed = entries.find((e) => e.message.includes('"many"'))!;
    await until('the fix to wait behind the failed change', async () => (await runtime.api['dlq.get']({ id: failed.id })).waitingBehind === 1);
    expect(crm.prepare("SELECT seats FROM contacts WHERE email = 'dee@x.com'").get()).not.toEqual({ seats: 7 });
    expect(await runtime.api['dlq.discard']({ ids: [failed.id] })).toEqual({ discarded: 1 });
    await settle();
    expect(crm.prepare("SELECT seats FROM contacts WHERE email = 'dee@x.com'").get()).toEqual({ seats: 7 });
  });
});
