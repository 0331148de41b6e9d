import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteConnector } from '../connectors/sqlite/definition.js';
import type { CapturedChange } from '../connectors/types.js';
import { ensureDemoSystems } from './demo-systems.js';
import { seededRandom } from './seeded-random.js';
import { nextStatus, startSimulator } from './simulator.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function demoDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-sim-'));
  dirs.push(dir);
  ensureDemoSystems(dir);
  return dir;
}

/** Table contents without the wall-clock column, to compare two runs. */
function snapshot(dir: string): unknown {
  const read = (file: string, sql: string) => {
    const db = new Database(path.join(dir, file), { readonly: true });
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };
  return {
    crm: read('crm.db', 'SELECT id, email, first_name, last_name, phone, company, plan, payment_status FROM contacts ORDER BY id'),
    billing: read('billing.db', 'SELECT id, contact_email, given_name, family_name, phone_number, plan_code, status FROM customers ORDER BY id'),
  };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('demo change simulator', () => {
  it('changes both systems like outside users, is captured as user changes, and stops', async () => {
    const dir = demoDir();
    const before = snapshot(dir) as { crm: unknown[]; billing: unknown[] };
    const crm = sqliteConnector.create({ config: { path: 'crm.db', pollIntervalMs: 10 }, secrets: {}, flowId: 'demo', systemId: 'demo-crm', dataDir: dir });
    const captured: CapturedChange[] = [];
    const handle = await crm.startCapture({ entities: ['contacts'], checkpoint: null, signal: new AbortController().signal, sink: async (b) => void captured.push(...b.changes) });

    const sim = startSimulator({ dir, ratePerSec: 400, random: seededRandom(7) });
    await until(() => sim.stats().changes >= 150, '150 changes');
    await sim.stop();
    const stats = sim.stats();
    expect(stats.running).toBe(false);
    expect(stats.errors).toBe(0);
    expect(stats.byAction['crm.phone'] + stats.byAction['crm.rename'] + stats.byAction['crm.create']).toBeGreaterThan(0);
    expect(stats.byAction['billing.plan'] + stats.byAction['billing.status']).toBeGreaterThan(0);

    const after = snapshot(dir) as { crm: unknown[]; billing: unknown[] };
    expect(after.crm).not.toEqual(before.crm);
    expect(after.billing).not.toEqual(before.billing);

    // A first capture starts with a snapshot of the seeded rows; the simulator's changes follow as user changes.
    const changes = () => captured.filter((c) => c.origin !== 'snapshot');
    await until(() => changes().length > 0, 'captured CRM changes');
    await new Promise((r) => setTimeout(r, 100));
    expect(changes().every((c) => c.origin === 'user')).toBe(true);
    await handle.stop();
    await crm.close();

    // stopped means stopped
    await new Promise((r) => setTimeout(r, 150));
    expect(sim.stats().changes).toBe(stats.changes);
    expect(snapshot(dir)).toEqual(after);
  });

  it('makes the same changes for the same seed and stops by itself after maxChanges', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const dir = demoDir();
      const sim = startSimulator({ dir, ratePerSec: 1000, random: seededRandom(42), maxChanges: 80 });
      await until(() => !sim.stats().running, 'the simulator to stop by itself');
      expect(sim.stats().changes).toBe(80);
      await sim.stop();
      runs.push(snapshot(dir));
    }
    expect(runs[0]).toEqual(runs[1]);
    const other = demoDir();
    const sim = startSimulator({ dir: other, ratePerSec: 1000, random: seededRandom(43), maxChanges: 80 });
    await until(() => !sim.stats().running, 'the third run');
    expect(snapshot(other)).not.toEqual(runs[0]);
  });

  it('rejects bad options and a folder without the demo databases', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-sim-'));
    dirs.push(empty);
    expect(() => startSimulator({ dir: empty, ratePerSec: 0 })).toThrow(/ratePerSec: must be more than 0/);
    expect(() => startSimulator({ dir: empty, ratePerSec: 5 })).toThrow(/no crm.db in .*create the demo databases first/);
  });

  it('moves payment states the way subscriptions do', () => {
    expect(nextStatus('active', 0.1)).toBe('past_due');
    expect(nextStatus('past_due', 0.1)).toBe('active');
    expect(nextStatus('past_due', 0.9)).toBe('cancelled');
    expect(nextStatus('cancelled', 0.5)).toBe('active');
    expect(nextStatus(null, 0.1)).toBe('active');
  });
});
