import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurabilityBarrier } from './durability-barrier.js';
import { Store } from './store.js';
import { WalCheckpointer } from './wal-checkpointer.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-durable-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const event = (i: number, size = 10) => ({
  eventId: `e${i}`,
  system: 'crm',
  entity: 'contacts',
  key: `k${i}`,
  op: 'upsert' as const,
  fields: { blob: 'x'.repeat(size) },
  sourceTime: 1,
  captureTime: 1,
  origin: 'user',
});

describe('durability barrier', () => {
  it('resolves every caller once the log is synced, sharing fsyncs, and refuses after close', async () => {
    const store = Store.open(path.join(dir, 'workspace.db'));
    try {
      store.transaction(() => store.inbox.add('f1', event(1), { syncId: 's', direction: 'a-to-b', notBefore: 0 }), { relaxed: true });
      await Promise.all([store.durable(), store.durable(), store.durable()]);
      // The relaxed commit is there for a second connection (and for a restart).
      const reopened = Store.open(path.join(dir, 'workspace.db'));
      expect(reopened.inbox.pending('f1')).toBe(1);
      reopened.close();
    } finally {
      store.close();
    }
    await expect(store.durable()).rejects.toThrow(/closed/);
  });

  it('has nothing to sync when the database has no log file', async () => {
    const barrier = new DurabilityBarrier(path.join(dir, 'never-opened.db'));
    await expect(barrier.sync()).resolves.toBeUndefined();
    await barrier.close();
  });
});

describe('WAL checkpoints on their own thread', () => {
  it('turns the automatic checkpoint off and keeps the log bounded while much more than it is written', async () => {
    const store = Store.open(path.join(dir, 'workspace.db'));
    try {
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const wal = path.join(dir, 'workspace.db-wal');
      let largest = 0;
      let n = 0;
      // About 40 MB of inbox rows in 1 MB transactions, with pauses the checkpoint thread can use.
      for (let round = 0; round < 40; round++) {
        store.transaction(() => {
          for (let i = 0; i < 100; i++) store.inbox.add('f1', event(n++, 10_000), { syncId: 's', direction: 'a-to-b', notBefore: 0 });
        }, { relaxed: true });
        store.transaction(() => {
          for (const r of store.inbox.ready('f1', 1, 100)) store.inbox.remove(r.seq);
        }, { relaxed: true });
        largest = Math.max(largest, fs.statSync(wal).size);
        await new Promise((r) => setTimeout(r, 40));
      }
      // Without checkpoints the log would hold every page written (> 40 MB).
      expect(largest).toBeLessThan(24 * 1024 * 1024);
    } finally {
      store.close();
    }
  });

  it('reports a checkpoint thread that cannot open the database', async () => {
    const failure = await new Promise<Error>((resolve) => {
      new WalCheckpointer(path.join(dir, 'missing', 'workspace.db'), { onFailure: resolve });
    });
    expect(failure.message).toMatch(/unable to open|does not exist|exited/i);
  });
});
