import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { openRuntime, type Runtime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-shared-file-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// Awkward values: an apostrophe, a combining accent, an emoji; and one address the targets refuse.
const PEOPLE: Array<[string, string]> = [
  ["o'brien@example.com", 'Seán O\u2019Brien'],
  ['zoe@example.com', 'Zoe\u0301 🐝'],
  ['not-an-email', 'Bad Address'],
];

function makeFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const crm = new Database(path.join(dir, 'crm.db'));
  crm.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, name TEXT)');
  const insert = crm.prepare('INSERT INTO people(email, name) VALUES (?, ?)');
  for (const [email, name] of PEOPLE) insert.run(email, name);
  crm.close();
  for (const f of ['billing.db', 'support.db']) {
    const db = new Database(path.join(dir, f));
    db.exec(`CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT CHECK (email LIKE '%@%'), name TEXT);
      CREATE TABLE writes (n INTEGER);
      CREATE TRIGGER count_insert AFTER INSERT ON people BEGIN INSERT INTO writes VALUES (1); END;
      CREATE TRIGGER count_update AFTER UPDATE ON people BEGIN INSERT INTO writes VALUES (1); END;`);
    db.close();
  }
}

const system = (dir: string, id: string) => ({ id, name: id === 'crm' ? 'CRM' : id[0]!.toUpperCase() + id.slice(1), kind: 'sqlite', config: { path: path.join(dir, `${id}.db`), pollIntervalMs: 20 } });
const flowDoc = (dir: string, id: string, name: string, to: string, direction: 'a-to-b' | 'both') => ({
  schemaVersion: FLOW_SCHEMA_VERSION,
  id,
  name,
  systems: [system(dir, 'crm'), system(dir, to)],
  syncs: [
    {
      id: `crm-${to}`,
      name: `CRM to ${to}`,
      a: { system: 'crm', entity: 'people' },
      b: { system: to, entity: 'people' },
      direction,
      matchKey: { a: 'email', b: 'email', normalize: 'exact' },
      fields: [
        { a: 'email', b: 'email', owner: 'a' },
        { a: 'name', b: 'name', owner: 'a' },
      ],
    },
  ],
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const count = (file: string, sql: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
};

/** Rows of the CRM that arrived in `target` exactly (SQLite's IS is IS NOT DISTINCT FROM), each once. */
const sameAsCrm = (dir: string, target: string): number => {
  const db = new Database(path.join(dir, `${target}.db`), { readonly: true });
  try {
    db.exec(`ATTACH DATABASE '${path.join(dir, 'crm.db').replace(/'/g, "''")}' AS crm`);
    return db.prepare('SELECT count(*) FROM crm.people c WHERE (SELECT count(*) FROM people t WHERE t.email IS c.email AND t.name IS c.name) = 1').pluck().get() as number;
  } finally {
    db.close();
  }
};

const dlqDepth = async (runtime: Runtime, flowId: string) => (await runtime.api['dlq.list']({ filter: { flowId }, limit: 100, offset: 0 })).total;

describe('two flows on one SQLite file', () => {
  it('reading the same table: starting the second does not replay its snapshot into the first, and the second gets every row once', async () => {
    const dir = path.join(root, 'fan-out');
    makeFiles(dir);
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
    try {
      expect((await runtime.api['flows.save']({ flow: flowDoc(dir, 'to-billing', 'CRM to Billing', 'billing', 'a-to-b') })).ok).toBe(true);
      expect((await runtime.api['flows.save']({ flow: flowDoc(dir, 'to-support', 'CRM to Support', 'support', 'a-to-b') })).ok).toBe(true);
      // Only reading the CRM in both flows is safe: preflight says so.
      const pre = await runtime.api['preflight.run']({ flowId: 'to-support' });
      expect(pre.edges[0]!.checks.find((c) => c.id === 'other-flows')).toMatchObject({ ok: true });

      await runtime.api['flows.start']({ flowId: 'to-billing' });
      const billing = path.join(dir, 'billing.db');
      await until(async () => sameAsCrm(dir, 'billing') === 2 && (await dlqDepth(runtime, 'to-billing')) === 1, 'the first flow settled');
      // The user looked at the refused address and discarded it: the first flow's DLQ is empty.
      const parked = (await runtime.api['dlq.list']({ filter: { flowId: 'to-billing' }, limit: 100, offset: 0 })).entries;
      await runtime.api['dlq.discard']({ ids: parked.map((e) => e.id) });
      await new Promise((r) => setTimeout(r, 500));
      expect(await dlqDepth(runtime, 'to-billing')).toBe(0);
      const writesBefore = count(billing, 'SELECT count(*) FROM writes');

      await runtime.api['flows.start']({ flowId: 'to-support' });
      await until(async () => sameAsCrm(dir, 'support') === 2 && (await dlqDepth(runtime, 'to-support')) === 1, 'the second flow copied the CRM');
      await new Promise((r) => setTimeout(r, 1500)); // several polls of the first flow

      expect(count(billing, 'SELECT count(*) FROM writes')).toBe(writesBefore);
      expect(await dlqDepth(runtime, 'to-billing')).toBe(0);
      expect(await dlqDepth(runtime, 'to-support')).toBe(1);
      expect(count(path.join(dir, 'support.db'), 'SELECT count(*) FROM people')).toBe(2);
      expect(count(path.join(dir, 'support.db'), 'SELECT count(*) FROM writes')).toBe(2);

      // Both go on streaming every change once.
      const crm = new Database(path.join(dir, 'crm.db'));
      crm.prepare('INSERT INTO people(email, name) VALUES (?, ?)').run('new@example.com', 'Nu\u0000ll byte');
      crm.close();
      await until(() => sameAsCrm(dir, 'billing') === 3 && sameAsCrm(dir, 'support') === 3, 'the new row in both targets');
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  });

  it('when both flows write into the table: preflight names the other flow and the table, and the second start is refused while the first runs', async () => {
    const dir = path.join(root, 'two-way');
    makeFiles(dir);
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
    try {
      await runtime.api['flows.save']({ flow: flowDoc(dir, 'demo', 'Demo: CRM and Billing', 'billing', 'both') });
      // The second flow calls the same file by another path.
      const mine = flowDoc(dir, 'mine', 'CRM and Support', 'support', 'both');
      mine.systems[0]!.config.path = path.join(dir, '.', 'ws', '..', 'crm.db');
      mine.systems[0]!.name = 'Customers';
      await runtime.api['flows.save']({ flow: mine });
      const said =
        'Customers "people" is also written by the flow "Demo: CRM and Billing". Each flow would take the other\'s writes for a person\'s changes, and neither flow\'s owners would decide: the two could overwrite each other. Sync this table in one flow only: delete one of the two flows, or point this sync at another table.';
      // The demo is stopped: preflight names it and passes this check; once it runs, preflight fails.
      let pre = await runtime.api['preflight.run']({ flowId: 'mine' });
      expect(pre.edges[0]!.checks.find((c) => c.id === 'other-flows')).toEqual({ id: 'other-flows', label: 'No other flow syncs these tables', ok: true, detail: `${said} That flow is stopped; starting it while this one runs will be refused.` });
      await runtime.api['flows.start']({ flowId: 'demo' });
      pre = await runtime.api['preflight.run']({ flowId: 'mine' });
      expect(pre.ok).toBe(false);
      expect(pre.edges[0]!.checks.find((c) => c.id === 'other-flows')).toEqual({ id: 'other-flows', label: 'No other flow syncs these tables', ok: false, detail: `${said} Stop that flow first: both cannot run at once.` });

      await expect(runtime.api['flows.start']({ flowId: 'mine' })).rejects.toThrow(`flow "CRM and Support" cannot start: ${said}`);
      expect((await runtime.api['status.get']({ flowId: 'mine' }))[0]!.running).toBe(false);
      expect(count(path.join(dir, 'support.db'), 'SELECT count(*) FROM writes')).toBe(0);
      // With the demo stopped, nothing can overwrite anything: it starts.
      await runtime.api['flows.stop']({ flowId: 'demo' });
      await runtime.api['flows.start']({ flowId: 'mine' });
      await until(() => sameAsCrm(dir, 'support') === 2, 'the second flow copied the CRM');
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  });
});
