import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_FLOW } from './demo/demo-flow.js';
import { ensureDemoSystems } from './demo/demo-systems.js';
import { seededRandom } from './demo/seeded-random.js';
import { startSimulator } from './demo/simulator.js';
import { applyTransforms } from './engine/transforms.js';
import { until } from './test-support/synccanvas-process.js';

/**
 * `synccanvas run` on the SQLite demo, killed with SIGKILL mid-stream and restarted: the two
 * systems converge (every linked pair agrees on every mapped field) and nothing was written twice
 * (no duplicate customers).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-kill-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(work, { recursive: true, force: true });
});

function startRun(flowFile: string): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [bin, 'run', flowFile, '--workspace', work], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return Object.assign(child, { stderrText: () => err });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

describe('synccanvas run survives SIGKILL', () => {
  it('converges with no duplicates after a SIGKILL mid-stream and a restart', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    const dataDir = path.join(work, 'data');
    ensureDemoSystems(dataDir);
    const flowFile = path.join(work, 'demo.flow.json');
    fs.writeFileSync(flowFile, JSON.stringify(DEMO_FLOW, null, 2));
    const crm = new Database(path.join(dataDir, 'crm.db'));
    const billing = new Database(path.join(dataDir, 'billing.db'));
    const applied = () => {
      const ws = path.join(work, 'workspace.db');
      if (!fs.existsSync(ws)) return 0;
      const db = new Database(ws, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare('SELECT COALESCE(SUM(applied), 0) AS n FROM edge_counters').get() as { n: number }).n;
      } catch {
        return 0;
      } finally {
        db.close();
      }
    };

    let run = startRun(flowFile);
    const sim = startSimulator({ dir: dataDir, ratePerSec: 150, random: seededRandom(7) });
    await until('changes to flow', () => applied() > 40, 20_000);
    run.kill('SIGKILL');
    expect(await exited(run)).toBe(null);
    await new Promise((r) => setTimeout(r, 500)); // changes keep coming while the runtime is down
    run = startRun(flowFile);
    await until('changes to flow after the restart', () => applied() > 120, 20_000);
    await sim.stop();
    // Let it catch up: the change logs of both systems are consumed.
    const pendingLog = () =>
      (crm.prepare('SELECT COUNT(*) AS n FROM _synccanvas_changes').get() as { n: number }).n +
      (billing.prepare('SELECT COUNT(*) AS n FROM _synccanvas_changes').get() as { n: number }).n;
    await until('the change logs to drain', () => pendingLog() === 0, 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    run.kill('SIGTERM');
    expect(await exited(run), run.stderrText()).toBe(0);

    const ws = new Database(path.join(work, 'workspace.db'), { readonly: true });
    const links = ws.prepare("SELECT a_key, b_key FROM links WHERE flow_id = 'demo'").all() as { a_key: string; b_key: string }[];
    const dlq = (ws.prepare('SELECT COUNT(*) AS n FROM dlq').get() as { n: number }).n;
    const pending = (ws.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n;
    ws.close();
    expect(dlq).toBe(0);
    expect(pending).toBe(0);
    expect(links.length).toBeGreaterThan(10);

    const sync = DEMO_FLOW.syncs[0]!;
    const contact = crm.prepare('SELECT * FROM contacts WHERE id = ?');
    const customer = billing.prepare('SELECT * FROM customers WHERE id = ?');
    for (const { a_key, b_key } of links) {
      const a = contact.get(a_key) as Record<string, unknown> | undefined;
      const b = customer.get(b_key) as Record<string, unknown> | undefined;
      expect(Boolean(a), `contact ${a_key} exists iff customer ${b_key} does`).toBe(Boolean(b));
      if (!a || !b) continue;
      for (const m of sync.fields) {
        if (m.owner === 'a') expect(b[m.b], `customer ${b_key}.${m.b}`).toEqual(applyTransforms(a[m.a], m.toB));
        else expect(a[m.a], `contact ${a_key}.${m.a}`).toEqual(applyTransforms(b[m.b], m.toA));
      }
    }
    // Nothing written twice: no customer email appears more than once.
    const dupes = billing.prepare('SELECT lower(trim(contact_email)) AS e, COUNT(*) AS n FROM customers GROUP BY e HAVING n > 1').all();
    expect(dupes).toEqual([]);
    crm.close();
    billing.close();
  }, 90_000);
});
