import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { redisUrl, startRedisServer } from './connectors/queue/test-support/redis-server.js';
import type { TestBroker } from './connectors/queue/test-support/broker.js';
import { STEP_PAUSE_ENV } from './engine/step-pause.js';
import { exited, until as untilMs } from './test-support/synccanvas-process.js';
import { bigDigitsOf, createLoggedTable, createOutContacts, postgresToQueueFaults, queueRunWorkspace, writesOutOfOrder, type PublishedChange } from './test-support/queue-run-harness.js';

/**
 * `synccanvas run` with Redis Streams on either side of Postgres while entries stream: the run is
 * SIGKILLed and restarted, Redis is killed and restarted, a poison entry is added. Each ends with the
 * target exact (compared in Postgres, or entry by entry in the stream), nothing lost, no duplicate
 * writes, each record's changes in order (a target-side write log, or the stream itself).
 */
const until = (what: string, cond: () => Promise<boolean> | boolean, ms = 60_000) => untilMs(what, cond, ms).then(() => undefined);
const postgresPair = usePostgresPair('rediskill', 'sc_rediskill');
const ws = queueRunWorkspace('rediskill');
const { writeFlow, run, dlqAndInbox } = ws;
let broker: TestBroker;
let redis: ReturnType<typeof createClient>;
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;
let pgSystem: (id: string, database: string) => Record<string, unknown>;

const redisSystem = (prefix: string) => ({
  id: 'r',
  name: 'redis',
  kind: 'redis-streams',
  config: {
    url: redisUrl(broker),
    keyPrefix: prefix,
    entities: [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'n', type: 'integer' }, { name: 'big', type: 'number' }] }],
    batchSize: 200,
  },
});

beforeAll(async () => {
  broker = await startRedisServer();
  redis = createClient({ url: redisUrl(broker), disableOfflineQueue: true, socket: { reconnectStrategy: 100 } });
  redis.on('error', () => {});
  await redis.connect();
  const pair = postgresPair();
  ({ sourceDb, targetDb, source, target } = pair);
  pgSystem = pair.system;
});

afterAll(async () => {
  await redis?.quit().catch(() => {});
  await broker?.stop();
  ws.remove();
});

const BIG = 9_223_372_036_854_775_000n;

describe('Redis Streams → Postgres under synccanvas run', () => {
  it('SIGKILL of the run, a Redis restart and a poison entry mid-stream: target exact, no duplicate or out-of-order write', async () => {
    await createLoggedTable(target, 'customers');
    const flow = writeFlow('redis-to-pg', [redisSystem('in'), pgSystem('dst', targetDb)], { system: 'r', entity: 'contacts' }, { system: 'dst', entity: 'customers' }, [{ a: 'email', b: 'email' }, { a: 'n', b: 'n' }, { a: 'big', b: 'big' }], { a: 'email', b: 'email' });
    let child = run(flow, 'ws-in');
    const last = new Map<string, number>();
    let stop = false;
    let sent = 0;
    const publisher = (async () => {
      while (!stop) {
        const id = `r${sent % 40}`;
        const n = (last.get(id) ?? 0) + 1;
        const body = `{"id":"${randomUUID()}","entity":"contacts","op":"upsert","record":{"id":"${id}","email":"${id}@x.io","n":${n},"big":${BIG + BigInt(n)}},"occurredAt":"${new Date().toISOString()}"}`;
        try {
          await redis.xAdd('in:contacts', '*', { data: body });
        } catch {
          // Redis is down: the same change is added again once it is back (nothing was appended).
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        last.set(id, n);
        sent++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const logged = async () => (await target.query('SELECT count(*)::int AS n FROM customers_log')).rows[0].n as number;
    await until('changes to reach Postgres', async () => (await logged()) > 300);
    await redis.xAdd('in:contacts', '*', { data: '{"entity":"contacts","op":"upsert","record":{"id":' });
    child.kill('SIGKILL');
    await exited(child);
    child = run(flow, 'ws-in');
    await until('changes after the restart', async () => (await logged()) > 700);
    await broker.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await broker.start();
    await until('the publisher to reconnect', () => redis.isReady);
    const before = sent;
    await until('changes after the Redis restart', () => sent > before + 300);
    stop = true;
    await publisher;
    const matches = async () => {
      const rows = (await target.query('SELECT email, n, big::text AS big FROM customers ORDER BY email')).rows as { email: string; n: string; big: string }[];
      if (rows.length !== last.size) return `${rows.length} rows for ${last.size} records`;
      const bad = rows.find((r) => String(last.get(r.email.split('@')[0]!)) !== r.n || (BIG + BigInt(r.n)).toString() !== r.big);
      return bad ? `${bad.email}: ${bad.n} ${bad.big}, expected ${last.get(bad.email.split('@')[0]!)}` : null;
    };
    try {
      await until('the target to equal what was added', async () => (await matches()) === null);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${await matches()}; runtime said ${child.stderrText().slice(-1500)}`);
    }
    // Every entry was acknowledged once committed (the poison one too).
    await until('every entry to be acknowledged', async () => ((await redis.xPending('in:contacts', 'synccanvas_redis-to-pg_r')) as { pending: number }).pending === 0);
    expect(await writesOutOfOrder(target, 'customers'), 'writes out of order or repeated').toEqual([]);
    child.kill('SIGTERM');
    expect(await exited(child), child.stderrText()).toBe(0);
    const { dlq, pending } = await dlqAndInbox('ws-in');
    expect(pending).toBe(0);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ error_class: 'validation', event_id: expect.stringMatching(/^r:redis:in:contacts:\d+-\d+$/) });
  }, 240_000);
});

describe('Postgres → Redis Streams under synccanvas run', () => {
  it('killed between an XADD and its inbox commit, then SIGKILLed and Redis restarted: one entry per change, in order per record, the last exact', async () => {
    await createOutContacts(source);
    const flow = writeFlow('pg-to-redis', [pgSystem('src', sourceDb), redisSystem('out')], { system: 'src', entity: 'out_contacts' }, { system: 'r', entity: 'contacts' }, [{ a: 'email', b: 'id' }, { a: 'n', b: 'n' }, { a: 'big', b: 'big' }], { a: 'email', b: 'id' });
    await postgresToQueueFaults(ws, source, {
      flow,
      ws: 'ws-out',
      pauseEnv: { [STEP_PAUSE_ENV]: 'apply:after-write:5000' },
      until,
      reader: {
        published: async () => redis.xLen('out:contacts').catch(() => 0),
        // The XADD guard keeps a re-sent change from being appended twice: the stream is read as is.
        perRecord: async () => {
          const m = new Map<string, PublishedChange[]>();
          for (const e of (await redis.xRange('out:contacts', '-', '+')) ?? []) {
            const text = e.message!.data!;
            const env = JSON.parse(text) as { record: { id: string; n: number } };
            m.set(env.record.id, [...(m.get(env.record.id) ?? []), { n: env.record.n, big: bigDigitsOf(text) }]);
          }
          return m;
        },
        broker,
        reconnected: () => redis.isReady,
      },
    });
  }, 240_000);
});
