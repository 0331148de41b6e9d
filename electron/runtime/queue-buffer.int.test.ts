import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { signPayload } from './connectors/webhook/signature.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';
import { freePort, type TestBroker } from './connectors/queue/test-support/broker.js';
import { natsUrl, startNatsServer } from './connectors/queue/test-support/nats-server.js';
import { openRuntime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

/**
 * A queue as a buffer between two systems: webhook → NATS JetStream → Postgres, as two flows of one
 * runtime sharing the stream (one flow cannot chain through a table: docs/connectors/queues.md).
 * Signed webhooks for a few records, each changing many times with integers beyond 2^53, end in
 * Postgres exactly, each record's writes in order, with live throughput on both edges.
 */
const SECRET = 'whsec_buffer';
const db = usePostgres('qbuffer');
let broker: TestBroker;
let runtime: Awaited<ReturnType<typeof openRuntime>>;
let dir: string;
let url: string;

const fields = [
  { name: 'id', type: 'string' },
  { name: 'email', type: 'string' },
  { name: 'big', type: 'integer' },
];

beforeAll(async () => {
  broker = await startNatsServer();
  const { admin, server, database, password } = db();
  await admin.query('CREATE TABLE buffered (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, big numeric)');
  await admin.query('CREATE TABLE buffered_log (seq bigserial PRIMARY KEY, email text, big numeric)');
  await admin.query(`CREATE FUNCTION buffered_logw() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO buffered_log (email, big) VALUES (NEW.email, NEW.big); RETURN NEW; END $$`);
  await admin.query('CREATE TRIGGER buffered_logt AFTER INSERT OR UPDATE ON buffered FOR EACH ROW EXECUTE FUNCTION buffered_logw()');
  const port = await freePort();
  url = `http://127.0.0.1:${port}/hooks`;
  dir = mkdtempSync(join(tmpdir(), 'sc-qbuffer-'));
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'pg-password': password, 'wh-secret': SECRET }) });
  const nats = { id: 'q', name: 'stream', kind: 'nats', config: { servers: natsUrl(broker), stream: 'BUFFER', subjectPrefix: 'buffer', entities: [{ name: 'contacts', primaryKey: 'id', fields }] } };
  const inbound = {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'hook-to-stream',
    name: 'webhook → stream',
    systems: [{ id: 'hook', name: 'hook', kind: 'webhook', config: { host: '127.0.0.1', port, path: '/hooks', entities: [{ name: 'contacts', primaryKey: 'id', fields }] }, secretRefs: { signingSecret: 'wh-secret' } }, nats],
    syncs: [{ id: 'in', a: { system: 'hook', entity: 'contacts' }, b: { system: 'q', entity: 'contacts' }, direction: 'a-to-b', matchKey: { a: 'id', b: 'id', normalize: 'exact' }, fields: ['id', 'email', 'big'].map((n) => ({ a: n, b: n, owner: 'a' })) }],
  };
  const outbound = {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'stream-to-pg',
    name: 'stream → Postgres',
    systems: [nats, { id: 'pg', name: 'pg', kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'pg-password' } }],
    syncs: [{ id: 'out', a: { system: 'q', entity: 'contacts' }, b: { system: 'pg', entity: 'buffered' }, direction: 'a-to-b', matchKey: { a: 'email', b: 'email', normalize: 'exact' }, fields: [{ a: 'email', b: 'email', owner: 'a' }, { a: 'big', b: 'big', owner: 'a' }] }],
  };
  for (const flow of [inbound, outbound]) {
    const saved = await runtime.api['flows.save']({ flow });
    if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
    await runtime.api['flows.start']({ flowId: flow.id });
  }
}, 120_000);

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  await broker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const BIG = 9_223_372_036_854_775_807n * 1000n;

describe('webhook → NATS JetStream → Postgres (two flows sharing the stream)', () => {
  it('every change arrives exactly and in order per record, with throughput on both edges', async () => {
    const last = new Map<string, bigint>();
    let delivery = 0;
    for (let i = 0; i < 300; i++) {
      const id = `c${i % 20}`;
      const big = BIG + BigInt(i);
      const body = `{"id":"d-${++delivery}","entity":"contacts","op":"upsert","record":{"id":"${id}","email":"${id}@x.io","big":${big}},"occurredAt":"${new Date(Date.now() + i).toISOString()}"}`;
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signPayload({ scheme: 'hmac', signatureHeader: 'X-SyncCanvas-Signature', timestampHeader: 'X-SyncCanvas-Timestamp', prefix: 'sha256=', encoding: 'hex', separator: '.', timestampFormat: 'unix' }, SECRET, body) } });
      expect(res.status, await res.text()).toBeLessThan(300);
      last.set(id, big);
    }
    const { admin } = db();
    const deadline = Date.now() + 60_000;
    const exact = async () => {
      // Compared in Postgres, as numeric: every digit of the integers beyond 2^53.
      const wanted = [...last].map(([id, big]) => `('${id}@x.io', ${big}::numeric)`).join(', ');
      const r = await admin.query(`SELECT count(*)::int AS n FROM (VALUES ${wanted}) AS w(email, big) JOIN buffered b ON b.email = w.email AND b.big IS NOT DISTINCT FROM w.big`);
      return r.rows[0].n === last.size;
    };
    while (!(await exact())) {
      if (Date.now() > deadline) throw new Error(`the target did not reach what was sent: ${JSON.stringify((await admin.query('SELECT email, big::text FROM buffered ORDER BY email')).rows.slice(0, 5))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await admin.query('SELECT count(*)::int AS n FROM buffered')).rows[0].n).toBe(20);
    const disorder = await admin.query('SELECT email FROM (SELECT email, big, lag(big) OVER (PARTITION BY email ORDER BY seq) AS prev FROM buffered_log) t WHERE prev IS NOT NULL AND big <= prev');
    expect(disorder.rows, 'writes repeated or out of order').toEqual([]);
    for (const flowId of ['hook-to-stream', 'stream-to-pg']) {
      const [status] = await runtime.api['status.get']({ flowId });
      const dir0 = status!.syncs[0]!.directions[0]!;
      expect(dir0.errors, flowId).toBe(0);
      expect(dir0.applied, flowId).toBeGreaterThanOrEqual(20);
      expect(status!.dlqDepth, flowId).toBe(0);
    }
  }, 120_000);
});
