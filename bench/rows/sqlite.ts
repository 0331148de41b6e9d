import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import type { BenchOptions, BenchRow } from '../types.js';
import { ONE_WAY_CONTACTS_SYNC } from '../support/one-way-sync.js';

/**
 * SQLite → SQLite one-way through the whole pipeline (trigger capture, durable inbox, dedupe,
 * shadows, links, metrics, batched apply), against the raw better-sqlite3 batched-insert rate
 * measured in the same run as the ceiling.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const nowMs = "(julianday('now') - 2440587.5) * 86400000.0";

function makeDb(file: string, table: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, plan TEXT, sent_at REAL, applied_at REAL)`);
  return db;
}

function rawInsertRate(dir: string, n: number): number {
  const db = new Database(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, plan TEXT)');
  const ins = db.prepare('INSERT INTO t (id, email, name, plan) VALUES (?, ?, ?, ?)');
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) ins.run(i, `user${i}@example.com`, `Name ${i}`, 'pro');
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000) batch(i, Math.min(n, i + 1000));
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return n / secs;
}

function flowDoc(dir: string, pollIntervalMs: number) {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'bench',
    name: 'Bench SQLite → SQLite',
    systems: [
      { id: 'src', name: 'Source', kind: 'sqlite', config: { path: path.join(dir, 'src.db'), pollIntervalMs } },
      { id: 'dst', name: 'Target', kind: 'sqlite', config: { path: path.join(dir, 'dst.db'), pollIntervalMs } },
    ],
    syncs: [ONE_WAY_CONTACTS_SYNC],
  };
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-sqlite-'));
  try {
    const n = opts.quick ? 20_000 : 100_000;
    const ceiling = rawInsertRate(dir, n);

    const src = makeDb(path.join(dir, 'src.db'), 'contacts');
    const dst = makeDb(path.join(dir, 'dst.db'), 'customers');
    dst.exec('CREATE UNIQUE INDEX customers_email ON customers(email)');
    // The target stamps each row's commit time: lag is measured by the target's clock, not ours.
    dst.exec(`CREATE TRIGGER stamp_ins AFTER INSERT ON customers BEGIN UPDATE customers SET applied_at = ${nowMs} WHERE id = NEW.id; END`);
    dst.exec(`CREATE TRIGGER stamp_upd AFTER UPDATE OF name, sent_at ON customers BEGIN UPDATE customers SET applied_at = ${nowMs} WHERE id = NEW.id; END`);
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false });
    try {
      const saved = await runtime.api['flows.save']({ flow: flowDoc(dir, 10) });
      if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
      await runtime.api['flows.start']({ flowId: 'bench' });

      // Throughput: insert n rows (1,000 per source transaction) and time until the target has them all.
      const ins = src.prepare('INSERT INTO contacts (id, email, name, plan, sent_at) VALUES (?, ?, ?, ?, ?)');
      const batch = src.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) ins.run(i + 1, `user${i}@example.com`, `Name ${i}`, 'basic', Date.now());
      });
      const countDst = dst.prepare('SELECT COUNT(*) AS c FROM customers');
      const t0 = performance.now();
      for (let i = 0; i < n; i += 1000) {
        batch(i, Math.min(n, i + 1000));
        await new Promise((r) => setImmediate(r));
      }
      await waitFor(() => (countDst.get() as { c: number }).c >= n, 300_000, 'the target to receive every row');
      const throughput = n / ((performance.now() - t0) / 1000);

      // Lag at a steady 1,000 changes/s from another thread (updates of existing records).
      const seconds = opts.quick ? 3 : 10;
      const marker = Date.now();
      await new Promise<void>((resolve, reject) => {
        const w = new Worker(path.join(here, '../support/paced-writer.mjs'), {
          workerData: { file: path.join(dir, 'src.db'), table: 'contacts', rate: 1000, seconds, keys: Math.min(n, 5000) },
        });
        w.once('message', () => resolve());
        w.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 500));
      const lags = (dst.prepare('SELECT applied_at - sent_at AS lag FROM customers WHERE sent_at >= ?').all(marker) as { lag: number }[])
        .map((r) => r.lag)
        .sort((a, b) => a - b);
      const [status] = await runtime.api['status.get']({ flowId: 'bench' });
      const errors = status?.syncs[0]?.directions[0]?.errors ?? -1;
      return [
        { name: 'sqlite→sqlite one-way throughput', value: throughput, unit: 'events/s', ceiling, ratio: throughput / ceiling, note: `${n} inserts; ceiling = raw better-sqlite3 batched insert` },
        { name: 'sqlite raw batched insert (ceiling)', value: ceiling, unit: 'rows/s', note: 'WAL, synchronous=FULL, 1,000 rows/tx' },
        { name: 'sqlite→sqlite lag p50 @1k/s', value: percentile(lags, 50), unit: 'ms', note: `${lags.length} updates over ${seconds} s, source commit → target commit; capture polls every 10 ms` },
        { name: 'sqlite→sqlite lag p99 @1k/s', value: percentile(lags, 99), unit: 'ms', note: errors === 0 ? 'no errors' : `${errors} errors` },
      ];
    } finally {
      await runtime.close({ drainMs: 0 });
      src.close();
      dst.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
