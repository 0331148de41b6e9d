import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Makes relaxed commits durable without blocking the event loop. In WAL mode every commit appends
 * to one log file, so an fsync'd commit from *another* connection makes everything before it
 * durable too: a worker thread holds that connection and does the fsync'ing commit, while the main
 * thread keeps parsing requests and applying batches. Callers that arrive while an fsync is under way
 * share the next one (group commit).
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma('synchronous = FULL');
const touch = db.prepare('UPDATE durability SET at = ? WHERE id = 1');
parentPort.on('message', (id) => {
  try {
    touch.run(Date.now());
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
    const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_CODE, { eval: true, workerData: { modulePath, file } });
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
