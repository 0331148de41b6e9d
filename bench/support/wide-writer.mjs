// Runs in a worker thread so the load does not share the bench's event loop: single-row UPDATE
// transactions on the 12-column `wide` table as fast as one session commits them, for `seconds`.
// Every third change rewrites the ~20 KB `body` column with fresh random text; the others change
// small columns only, so `body` stays an unchanged TOASTed value in their WAL records. Each change
// stamps `seq` (from `fromSeq` + 1 on), so the target holding the last seq means it has caught up.
// Plain JavaScript: a worker thread cannot load TypeScript without a loader.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parentPort, workerData } from 'node:worker_threads';

const job = workerData;
const client = new pg.Client(job.connection);
await client.connect();
const big = 'UPDATE wide SET seq = $1, body = $2, updated_at = clock_timestamp() WHERE id = $3';
const small = `UPDATE wide SET seq = $1, name = $2, amount = $3, score = $4, active = $5, meta = $6, updated_at = clock_timestamp() WHERE id = $7`;
const started = performance.now();
const end = started + job.seconds * 1000;
let seq = job.fromSeq ?? 0;
while (performance.now() < end) {
  seq++;
  // A stride through the keys, so consecutive changes touch different rows.
  const id = ((seq * 7919) % job.keys) + 1;
  if (seq % 3 === 0) await client.query(big, [seq, randomBytes(10_000).toString('hex'), id]);
  else await client.query(small, [seq, `Name ${seq}`, ((seq % 100_000) / 100).toFixed(2), seq / 7, seq % 2 === 0, `{"n": ${seq}, "tag": "t${seq % 13}"}`, id]);
}
const seconds = (performance.now() - started) / 1000;
await client.end();
parentPort.postMessage({ sent: seq - (job.fromSeq ?? 0), last: seq, seconds });
