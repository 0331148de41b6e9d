import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ApiTransport } from '../../shared/api/contract.js';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { openRuntime } from '../runtime/runtime.js';
import { MemorySecretStore } from '../runtime/secrets/memory-store.js';

const shown = vi.hoisted(() => [] as { title: string; body: string }[]);
vi.mock('electron', () => ({
  Notification: class {
    constructor(private readonly o: { title: string; body: string }) {}
    show() {
      shown.push(this.o);
    }
  },
}));
const { watchAlertsInBackground } = await import('./alert-notifier.js');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-notify-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('alerts notify with no window open', () => {
  it('a real runtime whose DLQ passes its threshold raises one OS notification, not one per check', async () => {
    const a = new Database(path.join(dir, 'a.db'));
    a.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, n TEXT); INSERT INTO t VALUES (1, 'x@y.z', 'not a number')");
    a.close();
    const b = new Database(path.join(dir, 'b.db'));
    b.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, n INTEGER NOT NULL)');
    b.close();
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
    try {
      const flow = {
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: 'n',
        name: 'Orders',
        systems: [
          { id: 'a', name: 'Shop', kind: 'sqlite', config: { path: path.join(dir, 'a.db'), pollIntervalMs: 10 } },
          { id: 'b', name: 'Books', kind: 'sqlite', config: { path: path.join(dir, 'b.db'), pollIntervalMs: 10 } },
        ],
        syncs: [{ id: 's', name: 'Orders', a: { system: 'a', entity: 't' }, b: { system: 'b', entity: 't' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email', normalize: 'exact' }, fields: [{ a: 'email', b: 'email', owner: 'a' }, { a: 'n', b: 'n', owner: 'a' }] }],
      };
      expect((await runtime.api['flows.save']({ flow })).ok).toBe(true);
      await runtime.api['alerts.set']({ flowId: 'n', syncId: 's', thresholds: { dlqDepth: 0 } });
      await runtime.api['flows.start']({ flowId: 'n' });
      const end = Date.now() + 10_000;
      while ((await runtime.api['status.get']({ flowId: 'n' }))[0]!.dlqDepth === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const client: ApiTransport = { call: (method, input) => (runtime.api[method] as (i: unknown) => Promise<never>)(input) };
      const watcher = watchAlertsInBackground(client, { everyMs: 60_000 });
      await watcher.check();
      await watcher.check();
      watcher.stop();
      expect(shown).toEqual([{ title: 'SyncCanvas — Orders', body: 'Orders: 1 change in the DLQ (alert above 0)' }]);
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  });
});
