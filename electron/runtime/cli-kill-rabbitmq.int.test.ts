import { randomUUID } from 'node:crypto';
import pg from 'pg';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usePostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { amqpUrl, startRabbitMq } from './connectors/queue/test-support/rabbitmq-server.js';
import type { TestBroker } from './connectors/queue/test-support/broker.js';
import { STEP_PAUSE_ENV } from './engine/step-pause.js';
import { exited, until as untilMs } from './test-support/synccanvas-process.js';
import { bigDigitsOf, createLoggedTable, createOutContacts, postgresToQueueFaults, queueRunWorkspace, writesOutOfOrder, type PublishedChange } from './test-support/queue-run-harness.js';

/**
 * `synccanvas run` with RabbitMQ on either side of Postgres while messages stream: the run is
 * SIGKILLed and restarted, the broker is killed and restarted, a poison message is published. It
 * ends with the target exact (compared in Postgres), nothing lost, no duplicate writes, each
 * record's changes in order (a target-side write log).
 */
const until = (what: string, cond: () => Promise<boolean> | boolean, ms = 60_000) => untilMs(what, cond, ms).then(() => undefined);
const postgresPair = usePostgresPair('rabbitkill', 'sc_rabbitkill');
const ws = queueRunWorkspace('rabbitkill');
const { writeFlow, run, dlqAndInbox } = ws;
let broker: TestBroker;
let conn: ChannelModel | null = null;
let ch: ConfirmChannel | null = null;
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;
let pgSystem: (id: string, database: string) => Record<string, unknown>;

const rabbitSystem = () => ({
  id: 'm',
  name: 'rabbit',
  kind: 'rabbitmq',
  config: {
    url: `amqp://127.0.0.1:${broker.port}`,
    exchange: 'ex_in',
    queue: 'q_in',
    entities: [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'n', type: 'integer' }, { name: 'big', type: 'number' }] }],
    batchSize: 200,
  },
});

beforeAll(async () => {
  broker = await startRabbitMq();
  const pair = postgresPair();
  ({ sourceDb, targetDb, source, target } = pair);
  pgSystem = pair.system;
});

afterAll(async () => {
  await conn?.close().catch(() => {});
  await broker?.stop();
  ws.remove();
});

/** A confirm channel to the broker, opened again after it restarts. */
async function channel(): Promise<ConfirmChannel> {
  if (ch) return ch;
  const c = await amqp.connect(amqpUrl(broker));
  c.on('error', () => {});
  const confirm = await c.createConfirmChannel();
  confirm.on('error', () => {});
  const drop = () => {
    if (ch === confirm) ch = null;
  };
  confirm.on('close', drop);
  c.on('close', drop);
  conn = c;
  ch = confirm;
  return confirm;
}

const publish = async (routingKey: string, body: string, messageId?: string) => {
  const c = await channel();
  await new Promise<void>((resolve, reject) => c.publish('ex_in', routingKey, Buffer.from(body), { persistent: true, ...(messageId ? { messageId } : {}) }, (err) => (err ? reject(err) : resolve())));
};

const BIG = 9_223_372_036_854_775_000n;

describe('RabbitMQ → Postgres under synccanvas run', () => {
  it('SIGKILL of the run, a broker restart and a poison message mid-stream: target exact, no duplicate or out-of-order write', async () => {
    await createLoggedTable(target, 'customers');
    const flow = writeFlow('rabbit-to-pg', [rabbitSystem(), pgSystem('dst', targetDb)], { system: 'm', entity: 'contacts' }, { system: 'dst', entity: 'customers' }, [{ a: 'email', b: 'email' }, { a: 'n', b: 'n' }, { a: 'big', b: 'big' }], { a: 'email', b: 'email' });
    let child = run(flow, 'ws-in');
    const last = new Map<string, number>();
    let stop = false;
    let sent = 0;
    const publisher = (async () => {
      while (!stop) {
        const id = `r${sent % 40}`;
        const n = (last.get(id) ?? 0) + 1;
        const messageId = randomUUID();
        const body = `{"id":"${messageId}","entity":"contacts","op":"upsert","record":{"id":"${id}","email":"${id}@x.io","n":${n},"big":${BIG + BigInt(n)}},"occurredAt":"${new Date().toISOString()}"}`;
        try {
          await publish(`contacts.${id}`, body, messageId);
        } catch {
          // The broker is down or did not confirm: the same message (same message-id) is published again.
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        last.set(id, n);
        sent++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const logged = async () => (await target.query('SELECT count(*)::int AS n FROM customers_log')).rows[0].n as number;
    // Published until the run has declared and bound its queue (before that a message has nowhere to go).
    await until('the queue to exist', async () => {
      await publish('contacts.warmup', '{"entity":"contacts","op":"upsert","record":{"id":"warmup","email":"warmup@x.io","n":1,"big":1}}', 'warmup');
      return true;
    });
    await until('changes to reach Postgres', async () => (await logged()) > 300);
    await publish('contacts.poison', '{"entity":"contacts","op":"upsert","record":{"id":');
    child.kill('SIGKILL');
    await exited(child);
    child = run(flow, 'ws-in');
    await until('changes after the restart', async () => (await logged()) > 700);
    await broker.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await broker.start();
    const before = sent;
    await until('changes after the broker restart', () => sent > before + 300);
    stop = true;
    await publisher;
    const matches = async () => {
      const rows = ((await target.query('SELECT email, n, big::text AS big FROM customers ORDER BY email')).rows as { email: string; n: string; big: string }[]).filter((r) => r.email !== 'warmup@x.io');
      if (rows.length !== last.size) return `${rows.length} rows for ${last.size} records`;
      const bad = rows.find((r) => String(last.get(r.email.split('@')[0]!)) !== r.n || (BIG + BigInt(r.n)).toString() !== r.big);
      return bad ? `${bad.email}: ${bad.n} ${bad.big}, expected ${last.get(bad.email.split('@')[0]!)}` : null;
    };
    try {
      await until('the target to equal what was added', async () => (await matches()) === null);
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${await matches()}; runtime said ${child.stderrText().slice(-1500)}`);
    }
    expect(await writesOutOfOrder(target, 'customers'), 'writes out of order or repeated').toEqual([]);
    child.kill('SIGTERM');
    expect(await exited(child), child.stderrText()).toBe(0);
    const { dlq, pending } = await dlqAndInbox('ws-in');
    expect(pending).toBe(0);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ error_class: 'validation', event_id: expect.stringMatching(/^m:amqp:q_in:sha256:[0-9a-f]{64}$/) });
    // Nothing left in the queue: every message was acknowledged once committed (the poison one too).
    const probeConn = await amqp.connect(amqpUrl(broker));
    expect((await (await probeConn.createChannel()).checkQueue('q_in')).messageCount).toBe(0);
    await probeConn.close();
  }, 240_000);
});

describe('Postgres → RabbitMQ under synccanvas run', () => {
  it('killed between a publish and its inbox commit, then SIGKILLed and the broker restarted: one message-id per change, in order per record, the last exact', async () => {
    await createOutContacts(source);
    // A queue of the test's own, bound before the flow publishes, collects what the sink sends.
    const setup = await channel();
    await setup.assertExchange('ex_out', 'topic', { durable: true });
    await setup.assertQueue('q_out_check', { durable: true });
    await setup.bindQueue('q_out_check', 'ex_out', 'contacts.#');
    const sink = { ...rabbitSystem(), config: { ...rabbitSystem().config, exchange: 'ex_out', queue: 'q_out_unused' } };
    const flow = writeFlow('pg-to-rabbit', [pgSystem('src', sourceDb), sink], { system: 'src', entity: 'out_contacts' }, { system: 'm', entity: 'contacts' }, [{ a: 'email', b: 'id' }, { a: 'n', b: 'n' }, { a: 'big', b: 'big' }], { a: 'email', b: 'id' });
    // Messages are taken off the check queue as they arrive: [message-id, n, big digits] per record.
    const seen = new Map<string, { id: string; n: number; big: string }[]>();
    let received = 0;
    const take = async () => {
      const c = await channel();
      for (;;) {
        const m = await c.get('q_out_check', { noAck: true });
        if (!m) return;
        const text = m.content.toString();
        const env = JSON.parse(text) as { record: { id: string; n: number } };
        seen.set(env.record.id, [...(seen.get(env.record.id) ?? []), { id: String(m.properties.messageId), n: env.record.n, big: bigDigitsOf(text) }]);
        received++;
      }
    };
    await postgresToQueueFaults(ws, source, {
      flow,
      ws: 'ws-out-rabbit',
      pauseEnv: { [STEP_PAUSE_ENV]: 'apply:after-write:5000' },
      until,
      reader: {
        published: async () => {
          await take().catch(() => {});
          return received;
        },
        // A re-send after the kill is the same message-id again: consumers drop it by that id.
        perRecord: async () => {
          await take().catch(() => {});
          const m = new Map<string, PublishedChange[]>();
          for (const [email, list] of seen) {
            const ids = new Set<string>();
            m.set(email, list.filter((x) => (ids.has(x.id) ? false : (ids.add(x.id), true))));
          }
          return m;
        },
        broker,
      },
    });
  }, 240_000);
});
