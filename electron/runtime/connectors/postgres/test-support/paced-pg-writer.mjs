// Runs in a worker thread so the load it generates does not share the runtime's event loop:
// `rate` single-row UPDATE transactions per second for `seconds`, each stamping sent_at with the
// server's own clock (epoch ms), so the target's applied_at (same server clock) gives the lag.
// Plain JavaScript: a worker thread cannot load TypeScript without a loader.
import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';

const job = workerData;
const client = new pg.Client(job.connection);
await client.connect();
const sql = `UPDATE ${job.table} SET name = $1, sent_at = extract(epoch from clock_timestamp()) * 1000 WHERE id = $2`;
const total = Math.round(job.rate * job.seconds);
const started = performance.now();
let sent = 0;
while (sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * job.rate));
  while (sent < due) {
    await client.query(sql, [`n${sent}`, (sent % job.keys) + 1]);
    sent++;
  }
  await new Promise((r) => setTimeout(r, 1));
}
await client.end();
parentPort.postMessage({ sent });
