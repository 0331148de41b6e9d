import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema } from '../../shared/flow/schema.js';
import { startEmbeddedServer } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import type { Connector, WriteOp, WriteResult } from '../../electron/runtime/connectors/types.js';
import { WebhookConfigSchema } from '../../electron/runtime/connectors/webhook/config.js';
import { webhookConnector } from '../../electron/runtime/connectors/webhook/definition.js';
import { verifyPayload } from '../../electron/runtime/connectors/webhook/signature.js';
import { FlowEngine } from '../../electron/runtime/engine/flow-engine.js';
import { Store } from '../../electron/runtime/store/store.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * Signed webhook → durable inbox → Postgres upsert, through the product's own pieces: the webhook
 * connector (HMAC check, group commit), the workspace store (SQLite WAL; each group commit is
 * fsynced before its 2xx: a 2xx means the event is on disk) and the flow engine applying batches as one `unnest` upsert. Beside it,
 * in the same run and against the same durable Postgres (fsync on, synchronous_commit on), the
 * baseline a developer would hand-write: Node http + pg, verify, one upsert per request, answer
 * after its commit. Load comes from a worker thread so it does not share the servers' event loop.
 * Rows are checked: Postgres must hold exactly one row per 2xx answered.
 */

const SECRET = 'whsec_bench';
const SCHEME = { scheme: 'stripe', header: 'Stripe-Signature' } as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startPostgres(): Promise<{ config: pg.ClientConfig; stop(): Promise<void> }> {
  // The test server turns fsync off; here both sides must answer only after data is on disk.
  const server = await startEmbeddedServer(['-c', 'fsync=on', '-c', 'full_page_writes=on', '-c', 'synchronous_commit=on', '-c', 'max_connections=200']);
  return { config: { host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' }, stop: () => server.stop() };
}

const UPSERT_MANY = (table: string) =>
  `INSERT INTO ${table} (id, email, amount, updated_at)
   SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[])
   ON CONFLICT (id) DO UPDATE SET email = excluded.email, amount = excluded.amount, updated_at = excluded.updated_at`;

/** The bench's Postgres target: one `unnest` upsert per engine batch, matched by id. */
function postgresTarget(pool: pg.Pool, table: string): Connector {
  const notUsed = () => Promise.reject(new Error('not used by the bench'));
  return {
    testConnection: async () => ({ ok: true, message: 'ok', checks: [] }),
    discover: async () => [],
    readSamples: notUsed,
    readByKeys: async (_e, keys) => (await pool.query(`SELECT * FROM ${table} WHERE id = ANY($1)`, [keys])).rows.map((r: { id: string }) => ({ key: r.id, fields: r })),
    findByField: async (_e, field, values) =>
      (await pool.query(`SELECT * FROM ${table} WHERE ${field === 'id' ? 'id' : 'email'} = ANY($1)`, [values.map(String)])).rows.map((r: { id: string }) => ({ key: r.id, fields: r })),
    startCapture: notUsed,
    async write(_entity, ops: WriteOp[]): Promise<WriteResult[]> {
      const ids: string[] = [];
      const emails: unknown[] = [];
      const amounts: unknown[] = [];
      const times: string[] = [];
      for (const op of ops) {
        if (op.kind !== 'upsert') throw new Error('the bench only upserts');
        ids.push(String(op.fields.id ?? op.key ?? op.match?.value));
        emails.push(op.fields.email ?? null);
        amounts.push(op.fields.amount ?? null);
        times.push(new Date(op.sourceTime).toISOString());
      }
      await pool.query(UPSERT_MANY(table), [ids, emails, amounts, times]);
      return ids.map((key) => ({ ok: true as const, key }));
    },
    close: async () => {},
  };
}

// Plain JavaScript: a worker thread cannot load TypeScript without a loader. Bodies and signatures are
// made before the clock starts and requests go through an undici Pool, so the generator spends as
// little of the two cores as it can and the servers are what is measured.
const LOAD_WORKER = `
const { parentPort, workerData: job } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const { Pool } = require(job.undiciPath);
const url = new URL(job.url);
const pool = new Pool(url.origin, { connections: job.concurrency });
const t = Math.floor(Date.now() / 1000);
const prepared = [];
for (let i = 0; i < job.requests; i++) {
  const id = job.run + '-' + i;
  const body = JSON.stringify({ id: 'evt_' + id, entity: 'orders', op: 'upsert', record: { id: 'o_' + id, email: 'buyer' + i + '@example.com', amount: i % 1000, updatedAt: new Date().toISOString() } });
  const sig = createHmac('sha256', job.secret).update(t + '.' + body).digest('hex');
  prepared.push({ body, headers: { 'content-type': 'application/json', 'stripe-signature': 't=' + t + ',v1=' + sig } });
}
const latencies = new Float64Array(job.requests);
let next = 0, ok = 0, failed = 0;
async function lane() {
  while (next < job.requests) {
    const i = next++;
    const started = performance.now();
    try {
      const res = await pool.request({ method: 'POST', path: url.pathname, headers: prepared[i].headers, body: prepared[i].body });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) ok++; else failed++;
    } catch { failed++; }
    latencies[i] = performance.now() - started;
  }
}
(async () => {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: job.concurrency }, lane));
  const ms = performance.now() - t0;
  await pool.close();
  parentPort.postMessage({ ok, failed, ms, latencies: Array.from(latencies) });
})();
`;

interface LoadResult {
  ok: number;
  failed: number;
  ms: number;
  p50: number;
  p99: number;
}

function load(url: string, concurrency: number, requests: number, run: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOAD_WORKER, { eval: true, workerData: { url, concurrency, requests, run, secret: SECRET, undiciPath: createRequire(import.meta.url).resolve('undici') } });
    w.once('error', reject);
    w.once('message', (m: { ok: number; failed: number; ms: number; latencies: number[] }) => {
      const sorted = m.latencies.sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
      void w.terminate();
      resolve({ ok: m.ok, failed: m.failed, ms: m.ms, p50: q(0.5), p99: q(0.99) });
    });
  });
}

async function countRows(pool: pg.Pool, table: string): Promise<number> {
  return Number((await pool.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
}

async function waitForRows(pool: pg.Pool, table: string, want: number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const n = await countRows(pool, table);
    if (n >= want || Date.now() > until) return n;
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Latency = { tier: 'real-time' } | { tier: 'near-real-time'; windowMs: number };

async function ours(pool: pg.Pool, concurrency: number, requests: number, latency: Latency, tag: string): Promise<LoadResult & { rows: number; drainedMs: number }> {
  const table = `orders_ours_${tag}`;
  await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, email text, amount int, updated_at timestamptz)`);
  const dir = await mkdtemp(join(tmpdir(), 'sc-bench-wh-'));
  const store = Store.open(join(dir, 'workspace.db'));
  const port = await freePort();
  const flow = FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'bench',
    name: 'Webhook bench',
    systems: [
      { id: 'hooks', name: 'Shop webhooks', kind: 'webhook' },
      { id: 'warehouse', name: 'Warehouse DB', kind: 'postgres' },
    ],
    syncs: [
      {
        id: 'orders',
        a: { system: 'hooks', entity: 'orders' },
        b: { system: 'warehouse', entity: table },
        direction: 'a-to-b',
        latency,
        matchKey: { a: 'id', b: 'id', normalize: 'exact' },
        fields: [
          { a: 'id', b: 'id', owner: 'a' },
          { a: 'email', b: 'email', owner: 'a' },
          { a: 'amount', b: 'amount', owner: 'a' },
        ],
      },
    ],
  });
  const hooks = webhookConnector.create({
    config: WebhookConfigSchema.parse({
      port,
      path: '/hooks',
      signature: SCHEME,
      deliveryId: { path: 'id' },
      entities: [
        {
          name: 'orders',
          primaryKey: 'id',
          cursorField: 'updatedAt',
          fields: [
            { name: 'id', type: 'string', required: true },
            { name: 'email', type: 'string' },
            { name: 'amount', type: 'integer' },
            { name: 'updatedAt', type: 'datetime' },
          ],
        },
      ],
    }),
    secrets: { signingSecret: SECRET },
    flowId: 'bench',
    systemId: 'hooks',
    dataDir: dir,
  });
  const engine = new FlowEngine({
    store,
    flow,
    connectors: new Map([
      ['hooks', hooks],
      ['warehouse', postgresTarget(pool, table)],
    ]),
    batchSize: 2000,
  });
  try {
    await engine.start();
    const t0 = performance.now();
    const r = await load(`http://127.0.0.1:${port}/hooks`, concurrency, requests, `ours${tag}`);
    const rows = await waitForRows(pool, table, r.ok, 60_000);
    const drainedMs = performance.now() - t0;
    return { ...r, rows, drainedMs };
  } finally {
    await engine.stop();
    await hooks.close();
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The capture half alone: the same receiver and the same inbox commit the engine does (dedupe mark +
 * inbox row, one relaxed SQLite transaction per group, then the shared fsync), no apply. Shows what
 * the webhook path itself costs.
 */
async function captureOnly(concurrency: number, requests: number, tag: string): Promise<LoadResult & { rows: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-bench-wh-cap-'));
  const store = Store.open(join(dir, 'workspace.db'));
  const port = await freePort();
  const hooks = webhookConnector.create({
    config: WebhookConfigSchema.parse({
      port,
      path: '/hooks',
      signature: SCHEME,
      deliveryId: { path: 'id' },
      entities: [{ name: 'orders', primaryKey: 'id', cursorField: 'updatedAt', fields: [{ name: 'id', type: 'string', required: true }, { name: 'email', type: 'string' }, { name: 'amount', type: 'integer' }, { name: 'updatedAt', type: 'datetime' }] }],
    }),
    secrets: { signingSecret: SECRET },
    flowId: 'bench',
    systemId: 'hooks',
    dataDir: dir,
  });
  const controller = new AbortController();
  const handle = await hooks.startCapture({
    entities: ['orders'],
    checkpoint: null,
    signal: controller.signal,
    sink: async (batch) => {
      const now = Date.now();
      // As the engine commits a webhook batch: relaxed, then the shared fsync before the 2xx.
      store.transaction(() => {
        for (const c of batch.changes) {
          if (store.inbox.markSeen('bench', c.eventId, now)) store.inbox.add('bench', { ...c, system: 'hooks', captureTime: c.captureTime ?? now }, { syncId: 'orders', direction: 'a-to-b', notBefore: now });
        }
      }, { relaxed: true });
      await store.durable();
    },
  });
  try {
    const r = await load(`http://127.0.0.1:${port}/hooks`, concurrency, requests, `cap${tag}`);
    return { ...r, rows: store.inbox.pending('bench') };
  } finally {
    await handle.stop();
    await hooks.close();
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The hand-written baseline: verify, parse, one upsert, answer after its commit. */
async function baseline(pool: pg.Pool, concurrency: number, requests: number, tag: string): Promise<LoadResult & { rows: number }> {
  const table = `orders_base_${tag}`;
  await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, email text, amount int, updated_at timestamptz)`);
  const sql = `INSERT INTO ${table} (id, email, amount, updated_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (id) DO UPDATE SET email = excluded.email, amount = excluded.amount, updated_at = excluded.updated_at`;
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!verifyPayload(SCHEME, SECRET, req.headers, body, 300_000).ok) return void res.writeHead(401).end();
      const e = JSON.parse(body.toString()) as { record: { id: string; email: string; amount: number; updatedAt: string } };
      pool.query(sql, [e.record.id, e.record.email, e.record.amount, e.record.updatedAt]).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
        () => res.writeHead(500).end(),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const r = await load(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, concurrency, requests, `base${tag}`);
    return { ...r, rows: await countRows(pool, table) };
  } finally {
    await new Promise((r) => {
      server.close(r);
      server.closeAllConnections();
    });
  }
}

type Run = LoadResult & { rows: number; drainedMs?: number };

/** The run with the median rate: one noisy repetition does not decide a row. */
function median(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.ok / a.ms - b.ok / b.ms)[Math.floor(runs.length / 2)]!;
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const requests = opts.quick ? 2000 : 10_000;
  const repeats = opts.quick ? 1 : 3;
  const pgServer = await startPostgres();
  const out: BenchRow[] = [];
  let n = 0;
  const tag = (c: number) => `c${c}_${++n}`;
  try {
    for (const concurrency of [10, 50]) {
      // Each side gets its own pool sized for its work: the baseline one connection per in-flight request, ours the engine's one writer.
      const basePool = new pg.Pool({ ...pgServer.config, max: concurrency });
      const ourPool = new pg.Pool({ ...pgServer.config, max: 2 });
      // An idle client's error (server restart) must fail the run with a message, not crash the process.
      for (const p of [basePool, ourPool]) p.on('error', (e) => process.stderr.write(`bench webhook: idle Postgres client failed: ${e.message}\n`));
      try {
        // Warm both paths once (JIT, connections) so the first measured run is not penalised.
        if (concurrency === 10) {
          await baseline(basePool, concurrency, 200, tag(concurrency));
          await ours(ourPool, concurrency, 200, { tier: 'real-time' }, tag(concurrency));
        }
        const runs: Record<'base' | 'rt' | 'nrt' | 'cap', Run[]> = { base: [], rt: [], nrt: [], cap: [] };
        // Interleaved repetitions, so a burst of load from elsewhere on the machine hits every variant alike.
        for (let r = 0; r < repeats; r++) {
          runs.base.push(await baseline(basePool, concurrency, requests, tag(concurrency)));
          runs.rt.push(await ours(ourPool, concurrency, requests, { tier: 'real-time' }, tag(concurrency)));
          // The same path with the edge on the near-real-time tier: the engine applies 1 s micro-batches.
          runs.nrt.push(await ours(ourPool, concurrency, requests, { tier: 'near-real-time', windowMs: 1000 }, tag(concurrency)));
          runs.cap.push(await captureOnly(concurrency, requests, tag(concurrency)));
        }
        const verified = (x: Run) => `${x.rows} rows = ${x.ok} 2xx${x.rows === x.ok ? '' : ' MISMATCH'}${x.failed ? `, ${x.failed} failed` : ''}`;
        for (const [what, list] of Object.entries(runs)) {
          for (const x of list) if (x.rows !== x.ok || x.failed > 0) throw new Error(`row check failed for ${what} c=${concurrency}: ${verified(x)}`);
        }
        const b = median(runs.base);
        const o = median(runs.rt);
        const nr = median(runs.nrt);
        const c = median(runs.cap);
        const rate = (x: LoadResult) => x.ok / (x.ms / 1000);
        const bRate = rate(b);
        const target = concurrency === 50 ? 2 : 1.2;
        const lat = (x: LoadResult) => `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms`;
        const of = `median of ${repeats} × ${requests} requests`;
        out.push(
          {
            name: `webhook→inbox→pg c=${concurrency}`,
            value: rate(o),
            unit: 'req/s',
            ceiling: bRate,
            ratio: rate(o) / bRate,
            note: `real-time tier, vs baseline (target ≥${target}×); ${lat(o)}; ${verified(o)}; all in pg at ${(o.rows / (o.drainedMs! / 1000)).toFixed(0)} rows/s; ${of}`,
          },
          { name: `webhook→inbox→pg c=${concurrency} p50`, value: o.p50, unit: 'ms', note: '2xx after the durable inbox commit' },
          { name: `webhook→inbox→pg c=${concurrency} p99`, value: o.p99, unit: 'ms' },
          {
            name: `webhook→inbox→pg c=${concurrency} near-real-time`,
            value: rate(nr),
            unit: 'req/s',
            ceiling: bRate,
            ratio: rate(nr) / bRate,
            note: `1 s apply window; ${lat(nr)}; ${verified(nr)}`,
          },
          {
            name: `webhook→inbox only c=${concurrency}`,
            value: rate(c),
            unit: 'req/s',
            ceiling: bRate,
            ratio: rate(c) / bRate,
            note: `capture half alone (no apply on the same thread); ${lat(c)}; ${c.rows} inbox rows = ${c.ok} 2xx`,
          },
          {
            name: `baseline http+pg c=${concurrency}`,
            value: bRate,
            unit: 'req/s',
            note: `one upsert per request, 2xx after its commit; ${lat(b)}; ${verified(b)}`,
          },
        );
      } finally {
        await basePool.end();
        await ourPool.end();
      }
    }
  } finally {
    await pgServer.stop();
  }
  return out;
}
