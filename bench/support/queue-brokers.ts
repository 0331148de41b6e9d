import amqp, { type ChannelModel } from 'amqplib';
import pg from 'pg';
import { createClient } from 'redis';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { TestBroker } from '../../electron/runtime/connectors/queue/test-support/broker.js';
import { natsUrl, startNatsServer } from '../../electron/runtime/connectors/queue/test-support/nats-server.js';
import { amqpUrl, startRabbitMq } from '../../electron/runtime/connectors/queue/test-support/rabbitmq-server.js';
import { redisUrl, startRedisServer } from '../../electron/runtime/connectors/queue/test-support/redis-server.js';

/**
 * One broker for the queue bench (bench/rows/queues.ts): started on 127.0.0.1 by the test-support
 * hosts, with the flow system SyncCanvas reads or writes, and the bare client that does the same
 * work with no engine. Each bare client is what a developer would hand-write with the same library:
 * - consume: take up to 500 messages, one `unnest` upsert, then ack them (after the commit);
 * - produce: the rows read in chunks of 1,000, each published with its id, and the chunk awaited
 *   until the broker has it (no change capture at all: a generous ceiling for a pipeline that
 *   decodes the WAL).
 */
export interface QueueBroker {
  key: 'nats' | 'redis' | 'rabbitmq';
  label: string;
  /** The queue system of a flow: `in` reads what fill() put there, `out` is where our sink publishes. */
  system(side: 'in' | 'out'): { id: string; name: string; kind: string; config: Record<string, unknown> };
  /** What the bare consumer does per batch, and what the bare producer awaits, for the notes. */
  bareConsumer: string;
  bareProducer: string;
  /** Puts n envelopes where both our source and the bare consumer read them (each gets every one). */
  fill(n: number): Promise<void>;
  /** Consumes the n envelopes into `bare` of dst; returns messages per second. */
  bareConsume(dst: pg.Client, n: number): Promise<number>;
  /** How many messages our sink has published so far. */
  published(): Promise<number>;
  /** Publishes contacts 1..n of src (bare, no engine); returns changes per second. Checks the broker holds n. */
  bareProduce(src: pg.Client, n: number): Promise<number>;
  close(): Promise<void>;
}

export const QUEUE_ENTITIES = [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'name', type: 'string' }, { name: 'n', type: 'integer' }] }];

type Rec = { email: string; name: string; n: number };
const envelope = (i: number) => `{"id":"m${i}","entity":"contacts","op":"upsert","record":{"id":"c${i}","email":"user${i}@example.com","name":"Name ${i}","n":${i}},"occurredAt":"${new Date().toISOString()}"}`;
const bareEnvelope = (r: { id: number; email: string; name: string; n: number }) =>
  JSON.stringify({ id: `bare-${r.id}`, entity: 'contacts', op: 'upsert', record: { id: r.email, name: r.name, n: r.n }, occurredAt: new Date().toISOString(), source: 'bare' });

export const BARE_TABLE = 'CREATE TABLE bare (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n bigint)';

async function upsert(dst: pg.Client, bodies: string[]): Promise<void> {
  const recs = bodies.map((b) => (JSON.parse(b) as { record: Rec }).record);
  await dst.query(
    'INSERT INTO bare (email, name, n) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT (email) DO UPDATE SET name = excluded.name, n = excluded.n',
    [recs.map((r) => r.email), recs.map((r) => r.name), recs.map((r) => r.n)],
  );
}

async function bareRows(src: pg.Client, from: number, n: number) {
  return (await src.query('SELECT id, email, name, n FROM contacts WHERE id BETWEEN $1 AND $2 ORDER BY id', [from, Math.min(n, from + 999)])).rows as { id: number; email: string; name: string; n: number }[];
}

const rate = (n: number, t0: number) => n / ((performance.now() - t0) / 1000);

export async function natsBroker(): Promise<QueueBroker> {
  const broker = await startNatsServer();
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  try {
    nc = await connect({ servers: natsUrl(broker) });
    jsm = await jetstreamManager(nc);
  } catch (e) {
    await broker.stop();
    throw e;
  }
  const system = (stream: string, prefix: string) => ({ id: 'q', name: 'NATS', kind: 'nats', config: { servers: natsUrl(broker), stream, subjectPrefix: prefix, entities: QUEUE_ENTITIES } });
  return {
    key: 'nats',
    label: 'NATS',
    bareConsumer: 'pull consumer fetching 500, one unnest upsert, ack each',
    bareProducer: 'js.publish with Nats-Msg-Id, acks awaited per 1,000',
    system: (side) => (side === 'in' ? system('QIN', 'qin') : system('QOUT', 'qout')),
    async fill(n) {
      await jsm.streams.add({ name: 'QIN', subjects: ['qin.>'] });
      const js = jetstream(nc);
      for (let from = 0; from < n; from += 1000) {
        const acks = [];
        for (let i = from; i < Math.min(n, from + 1000); i++) acks.push(js.publish(`qin.contacts.c${i}`, envelope(i), { msgID: `m${i}` }));
        await Promise.all(acks);
      }
    },
    async bareConsume(dst, n) {
      await jsm.consumers.add('QIN', { durable_name: 'bare', ack_policy: AckPolicy.Explicit });
      const consumer = await jetstream(nc).consumers.get('QIN', 'bare');
      const t0 = performance.now();
      for (let done = 0; done < n; ) {
        const msgs = [];
        for await (const m of await consumer.fetch({ max_messages: 500, expires: 1000 })) msgs.push(m);
        if (msgs.length === 0) continue;
        await upsert(dst, msgs.map((m) => m.string()));
        for (const m of msgs) m.ack();
        done += msgs.length;
      }
      return rate(n, t0);
    },
    published: async () => (await jsm.streams.info('QOUT').catch(() => null))?.state.messages ?? 0,
    async bareProduce(src, n) {
      await jsm.streams.add({ name: 'QBARE', subjects: ['qbare.>'] });
      const js = jetstream(nc);
      const t0 = performance.now();
      for (let from = 1; from <= n; from += 1000) {
        const rows = await bareRows(src, from, n);
        await Promise.all(rows.map((r) => js.publish(`qbare.contacts.${r.id}`, bareEnvelope(r), { msgID: `bare-${r.id}` })));
      }
      const r = rate(n, t0);
      const held = (await jsm.streams.info('QBARE')).state.messages;
      if (held !== n) throw new Error(`the bare NATS publisher left ${held} messages for ${n} rows`);
      return r;
    },
    async close() {
      await nc.close().catch(() => {});
      await broker.stop();
    },
  };
}

export async function redisBroker(): Promise<QueueBroker> {
  const broker: TestBroker = await startRedisServer();
  const client = createClient({ url: redisUrl(broker) });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await broker.stop();
    throw e;
  }
  const system = (prefix: string) => ({ id: 'q', name: 'Redis', kind: 'redis-streams', config: { url: redisUrl(broker), keyPrefix: prefix, entities: QUEUE_ENTITIES } });
  return {
    key: 'redis',
    label: 'Redis',
    bareConsumer: 'XREADGROUP COUNT 500, one unnest upsert, one XACK',
    bareProducer: 'XADD pipelined, 1,000 awaited at a time',
    system: (side) => system(side === 'in' ? 'qin' : 'qout'),
    async fill(n) {
      for (let from = 0; from < n; from += 1000) {
        const adds = [];
        for (let i = from; i < Math.min(n, from + 1000); i++) adds.push(client.xAdd('qin:contacts', '*', { data: envelope(i) }));
        await Promise.all(adds);
      }
      await client.xGroupCreate('qin:contacts', 'bare', '0');
    },
    async bareConsume(dst, n) {
      const t0 = performance.now();
      for (let done = 0; done < n; ) {
        const reply = (await client.xReadGroup('bare', 'bare', { key: 'qin:contacts', id: '>' }, { COUNT: 500, BLOCK: 1000 })) as { messages: { id: string; message: Record<string, string> }[] }[] | null;
        const msgs = reply?.[0]?.messages ?? [];
        if (msgs.length === 0) continue;
        await upsert(dst, msgs.map((m) => m.message.data!));
        await client.xAck('qin:contacts', 'bare', msgs.map((m) => m.id));
        done += msgs.length;
      }
      return rate(n, t0);
    },
    published: () => client.xLen('qout:contacts'),
    async bareProduce(src, n) {
      const t0 = performance.now();
      for (let from = 1; from <= n; from += 1000) {
        const rows = await bareRows(src, from, n);
        await Promise.all(rows.map((r) => client.xAdd('qbare:contacts', '*', { data: bareEnvelope(r), origin: 'bare' })));
      }
      const r = rate(n, t0);
      const held = await client.xLen('qbare:contacts');
      if (held !== n) throw new Error(`the bare Redis producer left ${held} entries for ${n} rows`);
      return r;
    },
    async close() {
      await client.quit().catch(() => client.destroy());
      await broker.stop();
    },
  };
}

export async function rabbitBroker(): Promise<QueueBroker> {
  const broker = await startRabbitMq();
  let conn: ChannelModel;
  try {
    conn = await amqp.connect(amqpUrl(broker));
  } catch (e) {
    await broker.stop();
    throw e;
  }
  conn.on('error', () => {});
  const ch = await conn.createConfirmChannel();
  // Our sink drops nothing only if a queue is bound: one per exchange counts what arrived.
  const declare = async (exchange: string, queues: string[]) => {
    await ch.assertExchange(exchange, 'topic', { durable: true });
    for (const q of queues) {
      await ch.assertQueue(q, { durable: true });
      await ch.bindQueue(q, exchange, 'contacts.#');
    }
  };
  const depth = async (queue: string) => (await ch.checkQueue(queue)).messageCount;
  await declare('qout', ['qout.count']);
  const system = (exchange: string, queue: string) => ({ id: 'q', name: 'RabbitMQ', kind: 'rabbitmq', config: { url: `amqp://127.0.0.1:${broker.port}`, exchange, queue, entities: QUEUE_ENTITIES } });
  return {
    key: 'rabbitmq',
    label: 'RabbitMQ',
    bareConsumer: 'manual acks with prefetch 500, one unnest upsert per arrival, one multiple ack',
    bareProducer: 'persistent publishes on a confirm channel, waitForConfirms per 1,000',
    system: (side) => (side === 'in' ? system('qin', 'qin.flow') : system('qout', 'qout.flow')),
    async fill(n) {
      await declare('qin', ['qin.flow', 'qin.bare']);
      for (let from = 0; from < n; from += 1000) {
        for (let i = from; i < Math.min(n, from + 1000); i++) ch.publish('qin', `contacts.c${i}`, Buffer.from(envelope(i)), { messageId: `m${i}`, persistent: true });
        await ch.waitForConfirms();
      }
    },
    async bareConsume(dst, n) {
      const c = await conn.createChannel();
      await c.prefetch(500);
      const buffer: amqp.ConsumeMessage[] = [];
      let arrived: (() => void) | null = null;
      const t0 = performance.now();
      await c.consume('qin.bare', (m) => {
        if (m) buffer.push(m);
        arrived?.();
      });
      for (let done = 0; done < n; ) {
        if (buffer.length === 0) {
          await new Promise<void>((r) => (arrived = r));
          arrived = null;
          continue;
        }
        const msgs = buffer.splice(0, buffer.length);
        await upsert(dst, msgs.map((m) => m.content.toString('utf8')));
        c.ack(msgs[msgs.length - 1]!, true);
        done += msgs.length;
      }
      const r = rate(n, t0);
      await c.close();
      return r;
    },
    published: () => depth('qout.count'),
    async bareProduce(src, n) {
      await declare('qbare', ['qbare.count']);
      const t0 = performance.now();
      for (let from = 1; from <= n; from += 1000) {
        for (const r of await bareRows(src, from, n)) ch.publish('qbare', `contacts.${r.id}`, Buffer.from(bareEnvelope(r)), { messageId: `bare-${r.id}`, persistent: true, contentType: 'application/json' });
        await ch.waitForConfirms();
      }
      const r = rate(n, t0);
      const held = await depth('qbare.count');
      if (held !== n) throw new Error(`the bare RabbitMQ publisher left ${held} messages for ${n} rows`);
      return r;
    },
    async close() {
      await conn.close().catch(() => {});
      await broker.stop();
    },
  };
}
