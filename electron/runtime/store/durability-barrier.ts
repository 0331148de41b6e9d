import { Worker } from 'node:worker_threads';

/**
 * Makes relaxed commits durable without blocking the event loop. In WAL mode a commit is on disk
 * once the log file is: a worker thread fdatasyncs the log (any descriptor of the file flushes all
 * of it), so everything committed before the call is durable when it answers. It takes no SQLite
 * lock: an fsync'ing *commit* on another connection held the write lock through the fsync, and the
 * main thread's next transaction then slept on busy_timeout for the length of the disk flush.
 * Frames already checkpointed out of the log are in the database file, which the checkpoint synced
 * before the log was reused. Callers that arrive while an fsync is under way share the next one
 * (group commit).
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', (id) => {
  try {
    let fd;
    try {
      fd = fs.openSync(workerData.file + '-wal', 'r+');
    } catch (e) {
      // No log: nothing committed since the last connection closed (which checkpointed and synced).
      if (e.code !== 'ENOENT') throw e;
    }
    if (fd !== undefined) {
      try { fs.fdatasyncSync(fd); } finally { fs.closeSync(fd); }
    }
    parentPort.postMessage({ id, ok: true });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, message: String(e && e.message || e) });
  }
});
`;

export class DurabilityBarrier {
  private readonly worker: Worker;
  private nextId = 1;
  private inFlight: { id: number; waiters: (() => void)[]; failers: ((e: Error) => void)[] } | null = null;
  private queued: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private closed = false;

  constructor(file: string) {
    this.worker = new Worker(WORKER_CODE, { eval: true, workerData: { file } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; ok: boolean; message?: string }) => this.done(m));
    this.worker.on('error', (e) => this.failAll(e instanceof Error ? e : new Error(String(e))));
  }

  /** Resolves once every transaction committed before this call is on disk. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the workspace is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ resolve, reject });
      if (!this.inFlight) this.start();
    });
  }

  private start(): void {
    const batch = this.queued;
    this.queued = [];
    const id = this.nextId++;
    this.inFlight = { id, waiters: batch.map((b) => b.resolve), failers: batch.map((b) => b.reject) };
    this.worker.postMessage(id);
  }

  private done(m: { id: number; ok: boolean; message?: string }): void {
    const current = this.inFlight;
    if (!current || current.id !== m.id) return;
    this.inFlight = null;
    if (m.ok) for (const w of current.waiters) w();
    else for (const f of current.failers) f(new Error(`could not make the inbox durable: ${m.message ?? 'unknown error'}`));
    if (this.queued.length > 0) this.start();
  }

  private failAll(e: Error): void {
    const current = this.inFlight;
    this.inFlight = null;
    for (const f of current?.failers ?? []) f(e);
    for (const q of this.queued.splice(0)) q.reject(e);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('the workspace is closed'));
    await this.worker.terminate();
  }
}
