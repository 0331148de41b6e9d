import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { startEmbeddedServer, type EmbeddedServerInfo } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import { natsUrl, startNatsServer } from '../../electron/runtime/connectors/queue/test-support/nats-server.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * NATS JetStream ↔ Postgres through the runtime (queue capture, SQLite inbox, dedupe, map, apply,
 * ack after the durable commit; or Postgres capture → publish with Nats-Msg-Id and server acks),
 * each beside a bare client doing the same work in the same run with no engine:
 * - queue → Postgres: a pull consumer fetching 500 at a time, one `unnest` upsert per batch, acks after it;
 * - Postgres → queue: the rows read in chunks of 1,000 and published with Nats-Msg-Id, awaiting the
 *   acks per chunk (no change capture at all: a generous ceiling for a pipeline that decodes the WAL).
 * Counts are checked: Postgres holds every record, the stream every change.
 */

const entities = [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'name', type: 'string' }, { name: 'n', type: 'integer' }] }];

async function waitUntil(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function publishEnvelopes(nc: NatsConnection, prefix: string, n: number): Promise<void> {
  const js = jetstream(nc);
  for (let from = 0; from < n; from += 1000) {
    const acks = [];
    for (let i = from; i < Math.min(n, from + 1000); i++) {
      acks.push(js.publish(`${prefix}.contacts.c${i}`, `{"id":"m${i}","entity":"contacts","op":"upsert","record":{"id":"c${i}","email":"user${i}@example.com","name":"Name ${i}","n":${i}},"occurredAt":"${new Date().toISOString()}"}`, { msgID: `m${i}` }));
    }
    await Promise.all(acks);
  }
}

const count = async (c: pg.Client, table: string) => Number((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);

/** The bare queue → Postgres consumer: fetch 500, one unnest upsert, ack each after the commit. */
async function bareQueueToPostgres(nc: NatsConnection, jsm: JetStreamManager, stream: string, dst: pg.Client, n: number): Promise<number> {
  await dst.query('CREATE TABLE customers_bare (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n bigint)');
  await jsm.consumers.add(stream, { durable_name: 'bare', ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(nc).consumers.get(stream, 'bare');
  const t0 = performance.now();
  let done = 0;
  while (done < n) {
    const msgs = [];
    for await (const m of await consumer.fetch({ max_messages: 500, expires: 1000 })) msgs.push(m);
    if (msgs.length === 0) continue;
    const recs = msgs.map((m) => (JSON.parse(m.string()) as { record: { email: string; name: string; n: number } }).record);
    await dst.query(
      'INSERT INTO customers_bare (email, name, n) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT (email) DO UPDATE SET name = excluded.name, n = excluded.n',
      [recs.map((r) => r.email), recs.map((r) => r.name), recs.map((r) => r.n)],
    );
    for (const m of msgs) m.ack();
    done += msgs.length;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  if ((await count(dst, 'customers_bare')) !== n) throw new Error('the bare consumer lost rows');
  return rate;
}

/** The bare Postgres → queue publisher: rows in chunks of 1,000, published with Nats-Msg-Id, acks awaited per chunk. */
async function barePostgresToQueue(nc: NatsConnection, src: pg.Client, prefix: string, n: number): Promise<number> {
  const js = jetstream(nc);
  const t0 = performance.now();
  for (let from = 1; from <= n; from += 1000) {
    const rows = (await src.query('SELECT id, email, name, n FROM contacts WHERE id BETWEEN $1 AND $2 ORDER BY id', [from, from + 999])).rows as { id: number; email: string; name: string; n: number }[];
    await Promise.all(
      rows.map((r) =>
        js.publish(`${prefix}.contacts.${r.id}`, JSON.stringify({ id: `bare-${r.id}`, entity: 'contacts', op: 'upsert', record: { id: r.email, name: r.name, n: r.n }, occurredAt: new Date().toISOString(), source: 'bare' }), { msgID: `bare-${r.id}` }),
      ),
    );
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const n = opts.quick ? 5_000 : 50_000;
  const server: EmbeddedServerInfo & { stop(): Promise<void> } = await startEmbeddedServer();
  const broker = await startNatsServer();
  const dir = await mkdtemp(path.join(tmpdir(), 'sc-bench-q-'));
  const nc = await connect({ servers: natsUrl(broker) });
  const jsm = await jetstreamManager(nc);
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  const clients: pg.Client[] = [];
  try {
    await admin.query('CREATE DATABASE bench_q_src');
    await admin.query('CREATE DATABASE bench_q_dst');
    const db = async (database: string) => {
      const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
      await c.connect();
      clients.push(c);
      return c;
    };
    const src = await db('bench_q_src');
    const dst = await db('bench_q_dst');
    await dst.query('CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n bigint)');
    await src.query('CREATE TABLE contacts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, name text, n bigint)');
    await jsm.streams.add({ name: 'QIN', subjects: ['qin.>'] });
    await publishEnvelopes(nc, 'qin', n);

    const pgSystem = (id: string, database: string) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'bench-pg-password' } });
    const natsSystem = (stream: string, prefix: string) => ({ id: 'q', name: 'NATS', kind: 'nats', config: { servers: natsUrl(broker), stream, subjectPrefix: prefix, entities } });
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'bench-pg-password': server.password }) });
    try {
      // queue → Postgres
      const inFlow = {
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: 'bench-q-in',
        name: 'Bench NATS → Postgres',
        systems: [natsSystem('QIN', 'qin'), pgSystem('dst', 'bench_q_dst')],
        syncs: [{ id: 'in', a: { system: 'q', entity: 'contacts' }, b: { system: 'dst', entity: 'customers' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email', normalize: 'exact' }, fields: [{ a: 'email', b: 'email', owner: 'a' }, { a: 'name', b: 'name', owner: 'a' }, { a: 'n', b: 'n', owner: 'a' }] }],
      };
      let saved = await runtime.api['flows.save']({ flow: inFlow });
      if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
      const t0 = performance.now();
      await runtime.api['flows.start']({ flowId: 'bench-q-in' });
      const last = `user${n - 1}@example.com`;
      await waitUntil(async () => ((await dst.query('SELECT 1 FROM customers WHERE email = $1', [last])).rowCount ?? 0) > 0, 600_000, 'the last queued record in Postgres');
      await waitUntil(async () => (await count(dst, 'customers')) >= n, 600_000, 'every queued record in Postgres');
      const oursIn = n / ((performance.now() - t0) / 1000);
      await runtime.api['flows.stop']({ flowId: 'bench-q-in' });
      const bareIn = await bareQueueToPostgres(nc, jsm, 'QIN', dst, n);

      // Postgres → queue
      const outFlow = {
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: 'bench-q-out',
        name: 'Bench Postgres → NATS',
        systems: [pgSystem('src', 'bench_q_src'), natsSystem('QOUT', 'qout')],
        syncs: [{ id: 'out', a: { system: 'src', entity: 'contacts' }, b: { system: 'q', entity: 'contacts' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'id', normalize: 'exact' }, fields: [{ a: 'email', b: 'id', owner: 'a' }, { a: 'name', b: 'name', owner: 'a' }, { a: 'n', b: 'n', owner: 'a' }] }],
      };
      saved = await runtime.api['flows.save']({ flow: outFlow });
      if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
      await runtime.api['flows.start']({ flowId: 'bench-q-out' });
      await waitUntil(async () => ((await src.query(`SELECT 1 FROM pg_replication_slots WHERE database = 'bench_q_src'`)).rowCount ?? 0) > 0, 30_000, 'the capture slot');
      const t1 = performance.now();
      for (let from = 1; from <= n; from += 1000) {
        await src.query(`INSERT INTO contacts SELECT g, 'user' || g || '@example.com', 'Name ' || g, g FROM generate_series(${from}, ${Math.min(n, from + 999)}) g`);
      }
      await waitUntil(async () => ((await jsm.streams.info('QOUT').catch(() => null))?.state.messages ?? 0) >= n, 600_000, 'every change in the stream');
      const oursOut = n / ((performance.now() - t1) / 1000);
      await runtime.api['flows.stop']({ flowId: 'bench-q-out' });
      const published = (await jsm.streams.info('QOUT')).state.messages;
      if (published !== n) throw new Error(`the stream holds ${published} messages for ${n} changes`);
      await jsm.streams.add({ name: 'QBARE', subjects: ['qbare.>'] });
      const bareOut = await barePostgresToQueue(nc, src, 'qbare', n);
      return [
        { name: 'nats→postgres throughput', value: oursIn, unit: 'msgs/s', ceiling: bareIn, ratio: oursIn / bareIn, note: `${n.toLocaleString('en-US')} envelopes in the stream, through the runtime (ack after the durable inbox commit); ceiling = bare pull consumer + unnest upsert; goal ≥ 0.5` },
        { name: 'postgres→nats throughput', value: oursOut, unit: 'changes/s', ceiling: bareOut, ratio: oursOut / bareOut, note: `${n.toLocaleString('en-US')} inserts (1,000/tx), WAL capture → publish with Nats-Msg-Id; ceiling = bare SELECT + publish (no CDC); goal ≥ 0.5` },
      ];
    } finally {
      await runtime.close({ drainMs: 0 });
    }
  } finally {
    for (const c of clients) await c.end().catch(() => {});
    await admin.end().catch(() => {});
    await nc.close().catch(() => {});
    await broker.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
