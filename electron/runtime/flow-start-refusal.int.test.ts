import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { openRuntime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-fanout-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a flow that connects one table to two syncs', () => {
  it('is saved, but refuses to start with what to do, instead of silently missing changes on the second sync', async () => {
    for (const f of ['crm.db', 'billing.db', 'support.db']) {
      const db = new Database(path.join(dir, f));
      db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT)');
      db.close();
    }
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
    try {
      const system = (id: string) => ({ id, name: id.toUpperCase(), kind: 'sqlite', config: { path: path.join(dir, `${id}.db`) } });
      const sync = (id: string, to: string) => ({ id, name: `CRM to ${to}`, a: { system: 'crm', entity: 'people' }, b: { system: to, entity: 'people' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email', normalize: 'exact' }, fields: [{ a: 'email', b: 'email', owner: 'a' }] });
      const flow = { schemaVersion: FLOW_SCHEMA_VERSION, id: 'fan', name: 'Fan-out', systems: [system('crm'), system('billing'), system('support')], syncs: [sync('b', 'billing'), sync('s', 'support')] };
      expect((await runtime.api['flows.save']({ flow })).ok).toBe(true);
      await expect(runtime.api['flows.start']({ flowId: 'fan' })).rejects.toThrow(/cannot start: CRM "people" is connected by 2 syncs of this flow \("CRM to billing", "CRM to support"\).*Put each of them in a flow of its own/);
      expect((await runtime.api['status.get']({ flowId: 'fan' }))[0]!.running).toBe(false);
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  });
});
