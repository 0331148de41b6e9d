import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the write-ahead log back into the database file on a worker thread. SQLite's automatic
 * checkpoint runs inside whichever commit crosses 1,000 log pages, with two fsyncs, on the thread
 * that committed: under load that was the main thread, stalling capture and apply for tens of
 * milliseconds each time. The main connection turns the automatic checkpoint off and this thread
 * runs PASSIVE checkpoints instead, which never block writers. If the thread dies, the store turns
 * the automatic checkpoint back on, so the log never grows without bound.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.modulePath);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma('wal_autocheckpoint = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const walFile = workerData.file + '-wal';
function tick() {
  let size = 0;
  try { size = statSync(walFile).size; } catch {}
  if (size >= workerData.thresholdBytes) {
    // A busy or locked checkpoint is tried again on the next tick; only the thread's death matters.
    try { checkpoint.run(); } catch {}
  }
}
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

export interface WalCheckpointerOptions {
  /** Checkpoint once the log is at least this big (SQLite's own default is 1,000 pages ≈ 4 MB). */
  thresholdBytes?: number;
  intervalMs?: number;
  /** Called if the thread fails: the caller re-enables automatic checkpoints. */
  onFailure: (e: Error) => void;
}

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(file: string, opts: WalCheckpointerOptions) {
    const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { modulePath, file, thresholdBytes: opts.thresholdBytes ?? 4 * 1024 * 1024, intervalMs: opts.intervalMs ?? 100 },
    });
    this.worker.unref();
    const fail = (e: Error) => {
      if (this.stopped) return;
      this.stopped = true;
      opts.onFailure(e);
    };
    this.worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => {
      if (!this.stopped) fail(new Error(`the WAL checkpoint thread exited (code ${code})`));
    });
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage('stop');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
