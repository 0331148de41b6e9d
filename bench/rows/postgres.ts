import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import { dropSlot } from '../../electron/runtime/connectors/postgres/capture-resources.js';
import { PostgresConnector } from '../../electron/runtime/connectors/postgres/connector.js';
import { postgresConfigSchema } from '../../electron/runtime/connectors/postgres/config.js';
import { startEmbeddedServer } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import type { CapturedBatch, WriteOp } from '../../electron/runtime/connectors/types.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import type { BenchOptions, BenchRow } from '../types.js';
import { ONE_WAY_CONTACTS_SYNC } from '../support/one-way-sync.js';
import { describeCpu, startCpuMeter, type CpuPerRow } from '../support/cpu-meter.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Postgres ceilings measured in one run on an embedded server: the raw pgoutput decode rate of a
 * bare replication stream and the raw batched `unnest` upsert rate; beside each, the same work
 * through our connector (capture without an inbox; origin-tagged, guarded writes); then the whole
 * pipeline Postgres → Postgres through the runtime: sustained rows/s against the lower ceiling, and
 * end-to-end lag at a steady 1,000 changes/s.
 */

const TABLE_DDL = `(id bigint PRIMARY KEY, email text NOT NULL, name text, amount numeric(12,2), updated_at timestamptz, data jsonb)`;

async function fillTable(client: pg.Client, table: string, rows: number): Promise<void> {
  // Transactions of 10k rows, as a busy application would commit them.
  for (let from = 1; from <= rows; from += 10_000) {
    const to = Math.min(rows, from + 9_999);
    await client.query(
      `INSERT INTO ${table} SELECT g, 'user' || g || '@example.com', 'Name ' || g, g * 0.01, now(), jsonb_build_object('n', g) FROM generate_series(${from}, ${to}) g`,
    );
  }
}

/**
 * A bare replication stream of one table's inserts: stock LogicalReplicationService and pgoutput
 * parser, publication `<name>_pub` and slot `<name>_slot`, created here (rows written from now on are
 * kept for the stream). `start` reads the stream, handing each inserted row to `onInsert`; `close`
 * ends it and drops the slot.
 */
async function bareInsertStream(config: pg.ClientConfig, client: pg.Client, table: string, name: string): Promise<{ start(onInsert: (row: Record<string, unknown>) => void): void; close(): Promise<void> }> {
  await client.query(`CREATE PUBLICATION ${name}_pub FOR TABLE ${table}`);
  await client.query(`SELECT pg_create_logical_replication_slot('${name}_slot', 'pgoutput')`);
  const service = new LogicalReplicationService(config, { acknowledge: { auto: false, timeoutSeconds: 0 } });
  service.on('error', () => {});
  return {
    start(onInsert) {
      service.on('data', (_lsn: string, msg: Pgoutput.Message) => {
        if (msg.tag === 'insert') onInsert(msg.new as Record<string, unknown>);
      });
      void service.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [`${name}_pub`] }), `${name}_slot`).catch(() => {});
    },
    async close() {
      await service.destroy().catch(() => {});
      // The walsender lets go of the slot a moment after its client leaves.
      await dropSlot(client, `${name}_slot`);
    },
  };
}

/** Rows per second a bare LogicalReplicationService + stock pgoutput parser delivers from a backlog. */
async function rawDecodeRate(config: pg.ClientConfig, admin: pg.Client, rows: number): Promise<number> {
  await admin.query(`CREATE TABLE raw_src ${TABLE_DDL}`);
  const stream = await bareInsertStream(config, admin, 'raw_src', 'raw');
  await fillTable(admin, 'raw_src', rows);
  let seen = 0;
  let first = 0;
  const last = await new Promise<number>((resolve) =>
    stream.start(() => {
      if (seen++ === 0) first = performance.now();
      if (seen === rows) resolve(performance.now());
    }),
  );
  await stream.close();
  return rows / ((last - first) / 1000);
}

/** The same backlog through our capture (decode, type mapping, events, batching), inbox left out. */
async function connectorCaptureRate(connector: PostgresConnector, admin: pg.Client, rows: number): Promise<number> {
  await admin.query(`CREATE TABLE cap_src ${TABLE_DDL}`);
  let checkpoint: string | null = null;
  let seen = 0;
  let first = 0;
  let resolveDone!: (t: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const sink = async (batch: CapturedBatch) => {
    checkpoint = batch.checkpoint;
    if (batch.changes.length === 0) return;
    if (seen === 0) first = performance.now();
    seen += batch.changes.length;
    if (seen >= rows) resolveDone(performance.now());
  };
  const ctx = () => ({ entities: ['cap_src'], checkpoint, sink, signal: new AbortController().signal });
  // First start creates the slot; the backlog is then written while capture is stopped.
  const setup = await connector.startCapture(ctx());
  await setup.stop();
  await fillTable(admin, 'cap_src', rows);
  const handle = await connector.startCapture(ctx());
  const last = await done;
  await handle.stop();
  return rows / ((last - first) / 1000);
}

function upsertRows(from: number, count: number): { ids: string[]; emails: string[]; names: string[]; amounts: string[]; times: string[]; data: string[] } {
  const out = { ids: [] as string[], emails: [] as string[], names: [] as string[], amounts: [] as string[], times: [] as string[], data: [] as string[] };
  const now = new Date().toISOString();
  for (let i = from; i < from + count; i++) {
    out.ids.push(String(i));
    out.emails.push(`user${i}@example.com`);
    out.names.push(`Name ${i}`);
    out.amounts.push((i * 0.01).toFixed(2));
    out.times.push(now);
    out.data.push(`{"n":${i}}`);
  }
  return out;
}

/**
 * Rows per second of hand-written batched `unnest` upserts on one connection (the ceiling), and of
 * the same rows through PostgresConnector.write (guard column, origin-tagged session, one result per
 * op). Batches alternate between the two so both see the same machine load; half the rows are
 * inserts, half updates.
 */
async function upsertRates(admin: pg.Client, connector: PostgresConnector, rows: number, batch: number): Promise<{ raw: number; connector: number }> {
  await admin.query(`CREATE TABLE raw_dst ${TABLE_DDL}`);
  await admin.query(`CREATE TABLE cap_dst ${TABLE_DDL}`);
  const sql = `INSERT INTO raw_dst AS t (id, email, name, amount, updated_at, data)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::jsonb[])
    ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, amount = EXCLUDED.amount, updated_at = EXCLUDED.updated_at, data = EXCLUDED.data
    WHERE t.updated_at IS NULL OR t.updated_at <= EXCLUDED.updated_at`;
  // Warm the connector's session (connect, origin, table metadata) outside the timing.
  await connector.write('cap_dst', [{ kind: 'upsert', key: '0', fields: { email: 'warm@example.com' }, idempotencyKey: 'warm', sourceTime: 0 }], 'synccanvas:bench');
  const half = Math.floor(rows / 2);
  const sourceTime = Date.now();
  let rawMs = 0;
  let connectorMs = 0;
  for (let pass = 0; pass < 2; pass++) {
    for (let from = 1; from <= half; from += batch) {
      const count = Math.min(batch, half - from + 1);
      let t0 = performance.now();
      const r = upsertRows(from, count);
      await admin.query(sql, [r.ids, r.emails, r.names, r.amounts, r.times, r.data]);
      rawMs += performance.now() - t0;

      t0 = performance.now();
      const ops: WriteOp[] = [];
      for (let i = from; i < from + count; i++) {
        ops.push({
          kind: 'upsert',
          key: String(i),
          fields: { email: `user${i}@example.com`, name: `Name ${i}`, amount: (i * 0.01).toFixed(2), data: { n: i } },
          idempotencyKey: `b-${pass}-${i}`,
          sourceTime: sourceTime + pass,
        });
      }
      const results = await connector.write('cap_dst', ops, 'synccanvas:bench');
      connectorMs += performance.now() - t0;
      const failed = results.find((x) => !x.ok);
      if (failed && !failed.ok) throw new Error(`bench write failed: ${failed.error.message}`);
    }
  }
  return { raw: (half * 2) / (rawMs / 1000), connector: (half * 2) / (connectorMs / 1000) };
}

const CONTACTS_DDL = 'CREATE TABLE contacts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text, plan text, sent_at double precision)';
const CUSTOMERS_DDL = [
  'CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, plan text, sent_at double precision, applied_at double precision)',
  // The target stamps each row's write with the server clock, the same clock that stamped sent_at.
  `CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.applied_at := extract(epoch from clock_timestamp()) * 1000; RETURN NEW; END $$`,
  'CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION stamp()',
];

async function insertContacts(client: pg.Client, n: number): Promise<void> {
  for (let from = 1; from <= n; from += 1_000) {
    const to = Math.min(n, from + 999);
    await client.query(`INSERT INTO contacts SELECT g, 'user' || g || '@example.com', 'Name ' || g, 'basic', extract(epoch from clock_timestamp()) * 1000 FROM generate_series(${from}, ${to}) g`);
  }
}

/**
 * The same Postgres → Postgres workload with nothing between decode and upsert: a bare replication
 * stream feeding batched `unnest` upserts on the fly (no inbox, no dedupe, no shadows, no links).
 * What two cores can do at all for this workload, so the runtime's own cost shows as a ratio.
 */
async function barePipeline(server: ServerInfo, admin: pg.Client, n: number): Promise<{ rate: number; cpu: CpuPerRow }> {
  await admin.query('CREATE DATABASE bench_bare');
  const config = { host: server.host, port: server.port, user: server.user, password: server.password, database: 'bench_bare' };
  const db = new pg.Client(config);
  await db.connect();
  const writer = new pg.Client(config);
  await writer.connect();
  let stream: Awaited<ReturnType<typeof bareInsertStream>> | null = null;
  try {
    await db.query(CONTACTS_DDL);
    for (const ddl of CUSTOMERS_DDL) await db.query(ddl);
    const sql = `INSERT INTO customers AS t (email, name, plan, sent_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[])
      ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, plan = EXCLUDED.plan, sent_at = EXCLUDED.sent_at`;
    const queue: Record<string, unknown>[] = [];
    let writing = false;
    let written = 0;
    let failed: unknown = null;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const pump = async () => {
      if (writing) return;
      writing = true;
      try {
        while (queue.length > 0) {
          const batch = queue.splice(0, 1_000);
          await writer.query(sql, [batch.map((r) => r.email), batch.map((r) => r.name), batch.map((r) => r.plan), batch.map((r) => r.sent_at)]);
          written += batch.length;
        }
      } catch (e) {
        failed = e;
        resolveDone();
      } finally {
        writing = false;
      }
      if (written >= n) resolveDone();
    };
    stream = await bareInsertStream(config, db, 'contacts', 'bare');
    stream.start((row) => {
      queue.push(row);
      void pump();
    });
    await waitUntil(async () => ((await db.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'bare_slot' AND active`)).rowCount ?? 0) > 0, 30_000, 'the bare stream');
    const cpu = startCpuMeter();
    const t0 = performance.now();
    await insertContacts(db, n);
    await done;
    if (failed) throw failed;
    const rate = n / ((performance.now() - t0) / 1000);
    return { rate, cpu: cpu.perRow(n) };
  } finally {
    await stream?.close().catch(() => {});
    await writer.end().catch(() => {});
    await db.end().catch(() => {});
  }
}

interface ServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function waitUntil(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function pipelineFlow(server: ServerInfo) {
  const system = (id: string, database: string) => ({
    id,
    name: id === 'src' ? 'Source Postgres' : 'Target Postgres',
    kind: 'postgres',
    config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' },
    secretRefs: { password: 'bench-pg-password' },
  });
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'bench-pg',
    name: 'Bench Postgres → Postgres',
    systems: [system('src', 'bench_src'), system('dst', 'bench_dst')],
    syncs: [ONE_WAY_CONTACTS_SYNC],
  };
}

/** Postgres → Postgres through the runtime (capture, SQLite inbox, dedupe, map, apply, checkpoint). */
async function pipelineRows(server: ServerInfo, admin: pg.Client, opts: BenchOptions, ceiling: number, bare: { rate: number; cpu: CpuPerRow }): Promise<BenchRow[]> {
  const n = opts.quick ? 10_000 : 100_000;
  await admin.query('CREATE DATABASE bench_src');
  await admin.query('CREATE DATABASE bench_dst');
  const connect = async (database: string) => {
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await c.connect();
    return c;
  };
  const src = await connect('bench_src');
  const dst = await connect('bench_dst');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-pg-'));
  try {
    await src.query(CONTACTS_DDL);
    for (const ddl of CUSTOMERS_DDL) await dst.query(ddl);
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'bench-pg-password': server.password }) });
    try {
      const saved = await runtime.api['flows.save']({ flow: pipelineFlow(server) });
      if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
      await runtime.api['flows.start']({ flowId: 'bench-pg' });
      // Capture is running once the slot exists.
      await waitUntil(async () => ((await src.query(`SELECT 1 FROM pg_replication_slots WHERE database = 'bench_src'`)).rowCount ?? 0) > 0, 30_000, 'the capture slot');

      const count = async () => Number((await dst.query('SELECT count(*) AS c FROM customers')).rows[0].c);
      const cpu = startCpuMeter();
      const t0 = performance.now();
      await insertContacts(src, n);
      // Poll with an index lookup of the last row, not count(*): a full count every 5 ms took a good
      // share of the 2 cores from the pipeline being measured. The count is checked once at the end.
      const last = `user${n}@example.com`;
      await waitUntil(async () => ((await dst.query('SELECT 1 FROM customers WHERE email = $1', [last])).rowCount ?? 0) > 0, 300_000, 'the last row to reach the target');
      await waitUntil(async () => (await count()) >= n, 300_000, 'the target to receive every row');
      const throughput = n / ((performance.now() - t0) / 1000);
      const cpuPerRow = cpu.perRow(n);

      const seconds = opts.quick ? 2 : 10;
      const marker = Number((await dst.query('SELECT extract(epoch from clock_timestamp()) * 1000 AS now')).rows[0].now);
      const sent = await new Promise<number>((resolve, reject) => {
        const w = new Worker(path.join(here, '../../electron/runtime/connectors/postgres/test-support/paced-pg-writer.mjs'), {
          workerData: { connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: 'bench_src' }, table: 'contacts', rate: 1000, seconds, keys: Math.min(n, 5000) },
        });
        w.once('message', (m: { sent: number }) => resolve(m.sent));
        w.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 500));
      const lags = (await dst.query<{ lag: number }>('SELECT applied_at - sent_at AS lag FROM customers WHERE sent_at >= $1', [marker])).rows
        .map((r) => Number(r.lag))
        .sort((a, b) => a - b);
      const [status] = await runtime.api['status.get']({ flowId: 'bench-pg' });
      const errors = status?.syncs[0]?.directions[0]?.errors ?? -1;
      return [
        { name: 'postgres→postgres one-way throughput', value: throughput, unit: 'rows/s', ceiling, ratio: throughput / ceiling, note: `${n.toLocaleString('en-US')} inserts (1,000/tx) through the runtime; ceiling = lower of decode and bare upsert; ${((throughput / bare.rate) * 100).toFixed(0)}% of the bare pipeline; ${describeCpu(cpuPerRow)}` },
        { name: 'postgres→postgres lag p50 @1k/s', value: percentile(lags, 50), unit: 'ms', note: `${lags.length} of ${sent} updates (last per row) over ${seconds} s, source clock_timestamp → target write; target ≤ 3 ms` },
        { name: 'postgres→postgres lag p99 @1k/s', value: percentile(lags, 99), unit: 'ms', note: `${errors === 0 ? 'no errors' : `${errors} errors`}; target ≤ 15 ms` },
      ];
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  } finally {
    await src.end().catch(() => {});
    await dst.end().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const decodeRows = opts.quick ? 30_000 : 200_000;
  const upsertRowsCount = opts.quick ? 20_000 : 100_000;
  const batch = 1_000;
  // Commits wait for their WAL flush as on a real server, so the stream sees them at once.
  const server = await startEmbeddedServer(['-c', 'synchronous_commit=on']);
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  const config = postgresConfigSchema.parse({ host: server.host, port: server.port, database: 'postgres', user: server.user, sslmode: 'disable', versionColumn: 'updated_at', initialSnapshot: false });
  const connector = new PostgresConnector({ config, password: server.password, flowId: 'bench', systemId: 'pg' });
  try {
    const decode = await rawDecodeRate({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' }, admin, decodeRows);
    const capture = await connectorCaptureRate(connector, admin, decodeRows);
    const { raw: upsert, connector: write } = await upsertRates(admin, connector, upsertRowsCount, batch);
    const ceiling = Math.min(decode, upsert);
    const bare = await barePipeline(server, admin, opts.quick ? 10_000 : 100_000);
    const pipeline = await pipelineRows(server, admin, opts, ceiling, bare);
    return [
      { name: 'postgres: pgoutput decode, bare stream (ceiling)', value: decode, unit: 'rows/s', note: `${decodeRows.toLocaleString('en-US')} inserts backlog, stock parser` },
      { name: 'postgres: capture through connector (no inbox)', value: capture, unit: 'rows/s', ceiling: decode, ratio: capture / decode, note: 'decode + type mapping + events + batches of 5k' },
      { name: 'postgres: batched unnest upsert, bare (ceiling)', value: upsert, unit: 'rows/s', note: `1 connection, batches of ${batch}, half insert / half update, alternating with the row below` },
      { name: 'postgres: connector write (guarded, origin-tagged)', value: write, unit: 'rows/s', ceiling: upsert, ratio: write / upsert, note: `same rows via PostgresConnector.write, batches of ${batch}` },
      {
        name: 'postgres: bare decode→upsert pipeline (no engine)',
        value: bare.rate,
        unit: 'rows/s',
        ceiling,
        ratio: bare.rate / ceiling,
        note: `the pipeline workload below with nothing between stream and upsert: what the cores allow at all; ${describeCpu(bare.cpu)}`,
      },
      ...pipeline,
    ];
  } finally {
    await connector.close();
    await admin.end().catch(() => {});
    await server.stop();
  }
}
