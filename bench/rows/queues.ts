import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedServer, type EmbeddedServerInfo } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { startCpuMeter } from '../support/cpu-meter.js';
import { BARE_TABLE, natsBroker, rabbitBroker, redisBroker, type QueueBroker } from '../support/queue-brokers.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * NATS JetStream, Redis Streams and RabbitMQ ↔ Postgres through the in-process runtime, each beside
 * a bare client of the same library doing the same work in the same run with no engine
 * (bench/support/queue-brokers.ts says what each bare client does):
 * - queue → Postgres: queue capture, SQLite inbox, dedupe, map, apply, ack after the durable commit;
 * - Postgres → queue: WAL capture → publish with the write's id (Nats-Msg-Id, the guarded XADD,
 *   a confirmed message-id).
 * Counts are checked: Postgres holds every record, the broker every change.
 * `BENCH_QUEUES=nats,redis` runs some brokers only (RabbitMQ takes several seconds to boot).
 */

const BROKERS: Record<QueueBroker['key'], () => Promise<QueueBroker>> = { nats: natsBroker, redis: redisBroker, rabbitmq: rabbitBroker };

async function waitUntil(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const us = (v: number) => `${Math.round(v)} µs`;
const pct = (v: number) => `${Math.round(v * 100)}%`;
const count = async (c: pg.Client, table: string) => Number((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const n = opts.quick ? 5_000 : 50_000;
  const wanted = (process.env.BENCH_QUEUES ?? 'nats,redis,rabbitmq').split(',').map((s) => s.trim()) as QueueBroker['key'][];
  for (const k of wanted) if (!(k in BROKERS)) throw new Error(`BENCH_QUEUES: unknown broker "${k}"; use ${Object.keys(BROKERS).join(', ')}`);
  const server: EmbeddedServerInfo & { stop(): Promise<void> } = await startEmbeddedServer();
  const dir = await mkdtemp(path.join(tmpdir(), 'sc-bench-q-'));
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  const clients: pg.Client[] = [];
  const db = async (database: string) => {
    await admin.query(`CREATE DATABASE ${database}`);
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await c.connect();
    clients.push(c);
    return c;
  };
  const pgSystem = (id: string, database: string) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'bench-pg-password' } });
  const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'bench-pg-password': server.password }) });
  const out: BenchRow[] = [];
  const started: QueueBroker[] = [];
  try {
    for (const key of wanted) {
      const broker = await BROKERS[key]();
      started.push(broker);
      const src = await db(`bench_q_${key}_src`);
      const dst = await db(`bench_q_${key}_dst`);
      await dst.query('CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n bigint)');
      await dst.query(BARE_TABLE);
      await src.query('CREATE TABLE contacts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text, n bigint)');
      await broker.fill(n);

      // queue → Postgres
      const inFlow = {
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: `bench-q-in-${key}`,
        name: `Bench ${broker.label} → Postgres`,
        systems: [broker.system('in'), pgSystem('dst', `bench_q_${key}_dst`)],
        syncs: [{ id: 'in', a: { system: 'q', entity: 'contacts' }, b: { system: 'dst', entity: 'customers' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email', normalize: 'exact' }, fields: [{ a: 'email', b: 'email', owner: 'a' }, { a: 'name', b: 'name', owner: 'a' }, { a: 'n', b: 'n', owner: 'a' }] }],
      };
      let saved = await runtime.api['flows.save']({ flow: inFlow });
      if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
      const cpuIn = startCpuMeter();
      const t0 = performance.now();
      await runtime.api['flows.start']({ flowId: inFlow.id });
      const last = `user${n - 1}@example.com`;
      // When every message is in the inbox (applied or waiting): what the queue side alone achieves.
      let capturedMs = 0;
      let lastLook = 0;
      const captured = async () => {
        if (capturedMs || performance.now() - lastLook < 100) return;
        lastLook = performance.now();
        const st = (await runtime.api['status.get']({ flowId: inFlow.id })).find((f) => f.flowId === inFlow.id);
        const inInbox = (st?.inboxPending ?? 0) + (st?.syncs[0]?.directions[0]?.applied ?? 0);
        if (inInbox >= n) capturedMs = performance.now() - t0;
      };
      await waitUntil(async () => (await captured(), ((await dst.query('SELECT 1 FROM customers WHERE email = $1', [last])).rowCount ?? 0) > 0), 600_000, `the last ${broker.label} record in Postgres`);
      await waitUntil(async () => (await count(dst, 'customers')) >= n, 600_000, `every ${broker.label} record in Postgres`);
      const oursIn = n / ((performance.now() - t0) / 1000);
      const oursInCpu = cpuIn.perRow(n);
      const oursInBusy = oursInCpu.mainThreadUs / (1e6 / oursIn);
      // Not seen by the 100 ms poll before the last row landed: it was no later than that.
      const capturedRate = `${capturedMs ? '' : '≥ '}${Math.round(n / ((capturedMs || performance.now() - t0) / 1000)).toLocaleString('en-US')} msgs/s`;
      await runtime.api['flows.stop']({ flowId: inFlow.id });
      const cpuBareIn = startCpuMeter();
      const bareIn = await broker.bareConsume(dst, n);
      const bareInCpu = cpuBareIn.perRow(n).nodeUs;
      if ((await count(dst, 'bare')) !== n) throw new Error(`the bare ${broker.label} consumer lost rows`);

      // Postgres → queue
      const outFlow = {
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: `bench-q-out-${key}`,
        name: `Bench Postgres → ${broker.label}`,
        systems: [pgSystem('src', `bench_q_${key}_src`), broker.system('out')],
        syncs: [{ id: 'out', a: { system: 'src', entity: 'contacts' }, b: { system: 'q', entity: 'contacts' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'id', normalize: 'exact' }, fields: [{ a: 'email', b: 'id', owner: 'a' }, { a: 'name', b: 'name', owner: 'a' }, { a: 'n', b: 'n', owner: 'a' }] }],
      };
      saved = await runtime.api['flows.save']({ flow: outFlow });
      if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
      await runtime.api['flows.start']({ flowId: outFlow.id });
      await waitUntil(async () => ((await src.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1`, [`bench_q_${key}_src`])).rowCount ?? 0) > 0, 30_000, 'the capture slot');
      const cpuOut = startCpuMeter();
      const t1 = performance.now();
      for (let from = 1; from <= n; from += 1000) {
        await src.query(`INSERT INTO contacts SELECT g, 'user' || g || '@example.com', 'Name ' || g, g FROM generate_series(${from}, ${Math.min(n, from + 999)}) g`);
      }
      await waitUntil(async () => (await broker.published()) >= n, 600_000, `every change in ${broker.label}`);
      const oursOut = n / ((performance.now() - t1) / 1000);
      const oursOutCpu = cpuOut.perRow(n);
      const oursOutBusy = oursOutCpu.mainThreadUs / (1e6 / oursOut);
      await runtime.api['flows.stop']({ flowId: outFlow.id });
      const published = await broker.published();
      if (published !== n) throw new Error(`${broker.label} holds ${published} messages for ${n} changes`);
      const cpuBareOut = startCpuMeter();
      const bareOut = await broker.bareProduce(src, n);
      const bareOutCpu = cpuBareOut.perRow(n).nodeUs;

      const many = n.toLocaleString('en-US');
      out.push(
        { name: `${key}→postgres throughput`, value: oursIn, unit: 'msgs/s', ceiling: bareIn, ratio: oursIn / bareIn, note: `${many} envelopes, through the runtime (ack after the durable inbox commit; all in the inbox at ${capturedRate}); ceiling = bare ${broker.bareConsumer}; node CPU per message ${us(oursInCpu.nodeUs)} (main thread busy ${pct(oursInBusy)}) vs bare ${us(bareInCpu)}; goal ≥ 0.5` },
        { name: `postgres→${key} throughput`, value: oursOut, unit: 'changes/s', ceiling: bareOut, ratio: oursOut / bareOut, note: `${many} inserts (1,000/tx), WAL capture → publish with the write's id; ceiling = bare SELECT + ${broker.bareProducer} (no CDC); node CPU per change ${us(oursOutCpu.nodeUs)} (main thread busy ${pct(oursOutBusy)}) vs bare ${us(bareOutCpu)}; goal ≥ 0.5` },
      );
      await broker.close();
      started.splice(started.indexOf(broker), 1);
    }
    return out;
  } finally {
    await runtime.close({ drainMs: 0 });
    for (const b of started) await b.close().catch(() => {});
    for (const c of clients) await c.end().catch(() => {});
    await admin.end().catch(() => {});
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
