// Runs in a worker thread so the load it generates does not share the runtime's event loop: writes
// `rate` single-row transactions per second into a SQLite table for `seconds`, each row stamped with
// its commit time (epoch ms) so the target's arrival time gives the end-to-end lag.
// Plain JavaScript: a worker thread cannot load TypeScript without a loader.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const job = workerData;
const db = new Database(job.file);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
const update = db.prepare(`UPDATE ${job.table} SET name = ?, sent_at = ? WHERE id = ?`);
const started = performance.now();
let sent = 0;
const total = Math.round(job.rate * job.seconds);
const tick = () => {
  const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * job.rate));
  while (sent < due) {
    const id = (sent % job.keys) + 1;
    update.run(`n${sent}`, Date.now(), id);
    sent++;
  }
  if (sent >= total) {
    db.close();
    parentPort.postMessage({ sent });
    return;
  }
  setTimeout(tick, 1);
};
tick();
