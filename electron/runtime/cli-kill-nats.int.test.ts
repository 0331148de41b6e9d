import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { startNatsServer, natsUrl } from './connectors/queue/test-support/nats-server.js';
import type { TestBroker } from './connectors/queue/test-support/broker.js';
import { STEP_PAUSE_ENV } from './engine/step-pause.js';
import { exited, until as untilMs } from './test-support/synccanvas-process.js';
import { createLoggedTable, queueRunWorkspace, writesOutOfOrder } from './test-support/queue-run-harness.js';

/**
 * `synccanvas run` with NATS JetStream on either side of Postgres, while messages stream: the run is
 * SIGKILLed and restarted, the broker is killed and restarted, a poison message is published. Each
 * ends with the target exact (compared in Postgres, or message by message in the stream), nothing
 * lost, no duplicate writes, and each record's changes applied in order (a target-side write log).
 */
const until = (what: string, cond: () => Promise<boolean> | boolean, ms = 60_000) => untilMs(what, cond, ms).then(() => undefined);
const postgresPair = usePostgresPair('natskill', 'sc_natskill');
const ws = queueRunWorkspace('natskill');
const { work, writeFlow, run, dlqAndInbox } = ws;
let broker: TestBroker;
let nc: NatsConnection;
let jsm: JetStreamManager;
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;
let pgSystem: (id: string, database: string) => Record<string, unknown>;

const contactFields = [
  { name: 'id', type: 'string' },
  { name: 'email', type: 'string' },
  { name: 'n', type: 'integer' },
  { name: 'big', type: 'number' },
];
const natsSystem = (stream: string, prefix: string) => ({
  id: 'q',
  name: 'queue',
  kind: 'nats',
  config: { servers: natsUrl(broker), stream, subjectPrefix: prefix, entities: [{ name: 'contacts', primaryKey: 'id', fields: contactFields }], batchSize: 200 },
});

beforeAll(async () => {
  broker = await startNatsServer();
  nc = await connect({ servers: natsUrl(broker), reconnectTimeWait: 100, maxReconnectAttempts: -1 });
  jsm = await jetstreamManager(nc);
  const pair = postgresPair();
  ({ sourceDb, targetDb, source, target } = pair);
  pgSystem = pair.system;
});

afterAll(async () => {
  await nc?.close();
  await broker?.stop();
  ws.remove();
});

const BIG = 9_223_372_036_854_775_000n;

/** Publishes envelopes for `records` records, each record's n counting up; a failed publish is retried with the same Nats-Msg-Id. */
function publisher(subjectPrefix: string, records: number) {
  const js = jetstream(nc, { timeout: 2000 });
  const last = new Map<string, number>();
  let stop = false;
  let sent = 0;
  const done = (async () => {
    while (!stop) {
      const id = `r${sent % records}`;
      const n = (last.get(id) ?? 0) + 1;
      const msgID = randomUUID();
      const body = `{"id":"${msgID}","entity":"contacts","op":"upsert","record":{"id":"${id}","email":"${id}@x.io","n":${n},"big":${BIG + BigInt(n)}},"occurredAt":"${new Date().toISOString()}"}`;
      for (;;) {
        try {
          await js.publish(`${subjectPrefix}.contacts.${id}`, body, { msgID });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      last.set(id, n);
      sent++;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return { last, sent: () => sent, stop: async () => { stop = true; await done; } };
}

async function targetMatches(table: string, last: Map<string, number>): Promise<string | null> {
  const rows = (await target.query(`SELECT email, n, big::text AS big FROM ${table} ORDER BY email`)).rows as { email: string; n: string; big: string }[];
  if (rows.length !== last.size) return `${rows.length} rows, ${last.size} records`;
  for (const r of rows) {
    const n = last.get(r.email.split('@')[0]!);
    if (String(n) !== r.n || (BIG + BigInt(n!)).toString() !== r.big) return `${r.email}: n ${r.n} big ${r.big}, expected ${n}`;
  }
  return null;
}

/** Every message of the stream was committed (its event id is in the dedupe table): nothing skipped. */
async function everySequenceCommitted(ws: string, stream: string): Promise<void> {
  const Database = (await import('better-sqlite3')).default;
  const d = new Database(path.join(work, ws, 'workspace.db'), { readonly: true });
  const ids = (d.prepare('SELECT event_id FROM dedupe_keys').all() as { event_id: string }[]).map((r) => r.event_id);
  d.close();
  const seqs = new Set(ids.filter((i) => i.includes(`:nats:${stream}@`)).map((i) => Number(i.split(':').pop())));
  const last = (await jsm.streams.info(stream)).state.last_seq;
  const missing: number[] = [];
  for (let i = 1; i <= last; i++) if (!seqs.has(i)) missing.push(i);
  expect(missing.slice(0, 20), `of ${last} messages`).toEqual([]);
}

/** The consumer has delivered and had acknowledged every message. */
const drained = async (stream: string, flowId: string) => {
  const info = await jsm.consumers.info(stream, `synccanvas_${flowId.replace(/[^A-Za-z0-9_-]/g, '_')}_q`);
  return info.num_pending + info.num_ack_pending === 0;
};

const fieldsQ2P = [
  { a: 'email', b: 'email' },
  { a: 'n', b: 'n' },
  { a: 'big', b: 'big' },
];

describe('NATS JetStream → Postgres under synccanvas run', () => {
  it('SIGKILL of the run mid-stream and a poison message: target exact, no duplicate or out-of-order write, poison in the DLQ', async () => {
    await createLoggedTable(target, 'kill_customers');
    const flow = writeFlow('nats-to-pg-kill', [natsSystem('KILLQ', 'killq'), pgSystem('dst', targetDb)], { system: 'q', entity: 'contacts' }, { system: 'dst', entity: 'kill_customers' }, fieldsQ2P, { a: 'email', b: 'email' });
    let child = run(flow, 'ws-kill');
    const pub = publisher('killq', 40);
    await until('changes to reach Postgres', async () => (await target.query('SELECT count(*)::int AS n FROM kill_customers_log')).rows[0].n > 300);
    await jetstream(nc).publish('killq.contacts.poison', '{"id":"poison","entity":"contacts","op":"upsert","record":{"id":');
    child.kill('SIGKILL');
    await exited(child);
    await new Promise((r) => setTimeout(r, 300));
    child = run(flow, 'ws-kill');
    await until('more changes after the restart', async () => (await target.query('SELECT count(*)::int AS n FROM kill_customers_log')).rows[0].n > 900);
    await pub.stop();
    expect(pub.sent()).toBeGreaterThan(900);
    await until('every message to be committed and acknowledged', () => drained('KILLQ', 'nats-to-pg-kill'));
    try {
      await until('the target to equal what was published', async () => (await targetMatches('kill_customers', pub.last)) === null);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${await targetMatches('kill_customers', pub.last)}; runtime said ${child.stderrText().slice(-1500)}`);
    }
    expect(await writesOutOfOrder(target, 'kill_customers'), 'writes out of order or repeated').toEqual([]);
    await everySequenceCommitted('ws-kill', 'KILLQ');
    child.kill('SIGTERM');
    expect(await exited(child), child.stderrText()).toBe(0);
    const { dlq, pending } = await dlqAndInbox('ws-kill');
    expect(pending).toBe(0);
    expect(dlq).toHaveLength(1);
    // (Its message and body are sealed at rest; capture-rejected.test.ts reads them through the store.)
    expect(dlq[0]).toMatchObject({ error_class: 'validation', event_id: expect.stringMatching(/^q:nats:KILLQ@\d+:\d+$/) });
  }, 240_000);

  it('a broker restart mid-stream: the run resumes by itself, target exact, no duplicate or out-of-order write', async () => {
    await createLoggedTable(target, 'restart_customers');
    const flow = writeFlow('nats-to-pg-restart', [natsSystem('RESTQ', 'restq'), pgSystem('dst', targetDb)], { system: 'q', entity: 'contacts' }, { system: 'dst', entity: 'restart_customers' }, fieldsQ2P, { a: 'email', b: 'email' });
    const child = run(flow, 'ws-restart');
    const pub = publisher('restq', 30);
    await until('changes to reach Postgres', async () => (await target.query('SELECT count(*)::int AS n FROM restart_customers_log')).rows[0].n > 300);
    await broker.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await broker.start();
    const before = pub.sent();
    await until('publishing to resume', () => pub.sent() > before + 300);
    await pub.stop();
    await until('every message to be committed and acknowledged', () => drained('RESTQ', 'nats-to-pg-restart'));
    try {
      await until('the target to equal what was published', async () => (await targetMatches('restart_customers', pub.last)) === null);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${await targetMatches('restart_customers', pub.last)}; runtime said ${child.stderrText().slice(-1500)}`);
    }
    expect(await writesOutOfOrder(target, 'restart_customers'), 'writes out of order or repeated').toEqual([]);
    await everySequenceCommitted('ws-restart', 'RESTQ');
    child.kill('SIGTERM');
    expect(await exited(child), child.stderrText()).toBe(0);
    const { dlq, pending } = await dlqAndInbox('ws-restart');
    expect(dlq).toEqual([]);
    expect(pending).toBe(0);
  }, 240_000);
});

/** The stream's messages for `prefix`, in order: per record, the n values published. */
async function publishedPerRecord(stream: string): Promise<{ perRecord: Map<string, number[]>; bigs: Map<string, string>; count: number }> {
  const perRecord = new Map<string, number[]>();
  const bigs = new Map<string, string>();
  const last = (await jsm.streams.info(stream)).state.last_seq;
  for (let seq = 1; seq <= last; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    const text = m!.string();
    const env = JSON.parse(text) as { record: { id: string; n: number } };
    perRecord.set(env.record.id, [...(perRecord.get(env.record.id) ?? []), env.record.n]);
    // The big numeric, as its digits in the JSON text (JSON.parse would round it).
    // Postgres numeric arrives as its text (every digit, in a JSON string); a JSON number would do as well.
    const big = /"big":"?(-?[0-9.]+)"?[,}]/.exec(text);
    if (!big) throw new Error(`message ${seq} has no numeric big: ${text}`);
    bigs.set(env.record.id, big[1]!);
  }
  return { perRecord, bigs, count: last };
}

describe('Postgres → NATS JetStream under synccanvas run', () => {
  it('SIGKILL of the run and a broker restart mid-stream: one message per change, in order per record, the last one exact', async () => {
    await source.query('CREATE TABLE out_contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, n int NOT NULL DEFAULT 0, big numeric NOT NULL)');
    const flow = writeFlow(
      'pg-to-nats',
      [pgSystem('src', sourceDb), natsSystem('OUTQ', 'outq')],
      { system: 'src', entity: 'out_contacts' },
      { system: 'q', entity: 'contacts' },
      [{ a: 'email', b: 'id' }, { a: 'n', b: 'n' }, { a: 'big', b: 'big' }],
      { a: 'email', b: 'id' },
    );
    let child = run(flow, 'ws-out');
    let stop = false;
    let changes = 0;
    const writer = (async () => {
      while (!stop) {
        const r = changes % 25;
        await source.query(
          `INSERT INTO out_contacts (email, n, big) VALUES ($1, 1, $2) ON CONFLICT (email) DO UPDATE SET n = out_contacts.n + 1, big = EXCLUDED.big`,
          [`o${r}@x.io`, `123456789012345678901234567890.${changes}`],
        );
        changes++;
        await new Promise((res) => setTimeout(res, 3));
      }
    })();
    const streamCount = async () => (await jsm.streams.info('OUTQ').catch(() => null))?.state.messages ?? 0;
    await until('changes to reach the stream', async () => (await streamCount()) > 200);
    child.kill('SIGKILL');
    await exited(child);
    // Killed exactly between the publish and the inbox commit: the restart publishes that batch again, with the same ids.
    child = run(flow, 'ws-out', { [STEP_PAUSE_ENV]: 'apply:after-write:5000' });
    await until('the runtime to pause after a publish', () => child.stderrText().includes('paused at apply:after-write'));
    child.kill('SIGKILL');
    await exited(child);
    child = run(flow, 'ws-out');
    await until('changes after the restart', async () => (await streamCount()) > 500);
    await broker.kill();
    await new Promise((res) => setTimeout(res, 1500));
    await broker.start();
    await until('changes after the broker restart', async () => (await streamCount()) > 800);
    stop = true;
    await writer;
    const expected = new Map(((await source.query('SELECT email, n, big::text AS big FROM out_contacts')).rows as { email: string; n: number; big: string }[]).map((r) => [r.email, r]));
    try {
      await until('the last change of every record to be published', async () => {
        const { perRecord } = await publishedPerRecord('OUTQ');
        return [...expected.values()].every((r) => perRecord.get(r.email)?.at(-1) === r.n);
      });
    } catch (e) {
      const { perRecord: got, count } = await publishedPerRecord('OUTQ');
      const diff = [...expected.values()].filter((r) => got.get(r.email)?.at(-1) !== r.n).slice(0, 5).map((r) => `${r.email} n=${r.n} got ${got.get(r.email)?.slice(-3)}`);
      const { dlq, pending } = await dlqAndInbox('ws-out');
      throw new Error(`${(e as Error).message}; ${count} messages, ${diff.join('; ')}; dlq ${dlq.length} pending ${pending}; runtime said ${child.stderrText().slice(-1500)}`);
    }
    const { perRecord, bigs } = await publishedPerRecord('OUTQ');
    expect(perRecord.size).toBe(expected.size);
    for (const [email, ns] of perRecord) {
      // Strictly increasing: no change published twice (a re-send after the kill was dropped by Nats-Msg-Id), none out of order.
      expect(ns.every((n, i) => i === 0 || n > ns[i - 1]!), `${email}: ${ns.join(',')}`).toBe(true);
      expect(bigs.get(email)).toBe(expected.get(email)!.big);
    }
    child.kill('SIGTERM');
    expect(await exited(child), child.stderrText()).toBe(0);
    const { dlq, pending } = await dlqAndInbox('ws-out');
    expect(dlq).toEqual([]);
    expect(pending).toBe(0);
  }, 240_000);
});

