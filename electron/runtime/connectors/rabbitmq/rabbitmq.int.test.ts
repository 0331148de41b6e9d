import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, WriteOp } from '../types.js';
import { amqpUrl, startRabbitMq } from '../queue/test-support/rabbitmq-server.js';
import type { TestBroker } from '../queue/test-support/broker.js';
import { rabbitMqConnector } from './definition.js';
import { RabbitMqConfigSchema } from './config.js';
import { captureSink, until as untilHolds } from '../queue/test-support/capture-sink.js';

/**
 * The RabbitMQ connector against a real rabbitmq-server on 127.0.0.1 (one per file: it boots in
 * seconds): values arrive exact, acks wait for the inbox commit, a message a dead run held comes
 * back in order with the same event id (message-id, else body hash), poison goes to the DLQ batch,
 * publishes are confirmed and carry the write's id, and a broker that is down is "unavailable".
 */
let broker: TestBroker;
let conn: ChannelModel;
let ch: Channel;
const made: Connector[] = [];

beforeAll(async () => {
  broker = await startRabbitMq();
  conn = await amqp.connect(amqpUrl(broker));
  conn.on('error', () => {});
  ch = await conn.createChannel();
  ch.on('error', () => {});
});

afterAll(async () => {
  for (const c of made) await c.close().catch(() => {});
  await conn?.close().catch(() => {});
  await broker?.stop();
});

const entities = [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'n', type: 'integer' }, { name: 'amount', type: 'number' }] }];

function connector(name: string, systemId = 'm'): Connector {
  const config = RabbitMqConfigSchema.parse({ url: `amqp://127.0.0.1:${broker.port}`, exchange: `ex_${name}`, queue: `q_${name}`, entities, batchSize: 50 });
  const c = rabbitMqConnector.create({ config, secrets: {}, flowId: 'f', systemId, dataDir: '/tmp' });
  made.push(c);
  return c;
}

const sink = captureSink;
const until = (what: string, cond: () => boolean | Promise<boolean>, ms = 20_000) => untilHolds(what, cond, ms);

const envelope = (record: string) => Buffer.from(`{"entity":"contacts","op":"upsert","record":${record},"occurredAt":"2026-01-02T03:04:05.123Z"}`);
const queueState = async (queue: string) => {
  const c = await conn.createChannel();
  c.on('error', () => {});
  try {
    return await c.checkQueue(queue);
  } finally {
    await c.close().catch(() => {});
  }
};
const depth = async (queue: string) => (await queueState(queue)).messageCount;
/**
 * The capture consumes only after it declared the queue and bound it: a message published while
 * the queue exists but is not bound yet is routed nowhere (a full-suite run lost one that way).
 */
const consuming = async (queue: string) => (await queueState(queue)).consumerCount >= 1;

describe('RabbitMQ source', () => {
  it('maps messages exactly, acks only after the inbox commit, in queue order', async () => {
    const s = sink();
    s.hold();
    const h = await connector('src1').startCapture(s.ctx);
    await until('the capture to consume', () => consuming('q_src1')).catch((e) => { throw new Error(`${e.message}: ${s.problems.join(' | ')}`); });
    ch.publish('ex_src1', 'contacts.a', envelope('{"id":"a.b #*","email":"ü@x.io","n":9007199254740993,"amount":0.1000000000000000055511151231257827}'), { messageId: 'm-a' });
    for (let i = 0; i < 120; i++) ch.publish('ex_src1', 'contacts.k', envelope(`{"id":"k","n":${i}}`), { messageId: `m-${i}` });
    await until('the first batch to be held', () => new Promise((r) => setTimeout(() => r(true), 500)));
    expect(s.changes).toHaveLength(0);
    s.release();
    await until('all 121 changes', () => s.changes.length === 121);
    expect(s.changes[0]!.key).toBe('a.b #*');
    expect(s.changes[0]!.fields.n).toEqual({ $dec: '9007199254740993' });
    expect(s.changes[0]!.fields.amount).toEqual({ $dec: '0.1000000000000000055511151231257827' });
    expect(s.changes[0]!.eventId).toBe('m:amqp:q_src1:id:m-a');
    expect(s.changes.slice(1).map((c) => c.fields.n)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    await h.stop();
    expect(await depth('q_src1')).toBe(0);
  });

  it('messages a dead run held come back, in order, with the same event ids (body hash without a message-id)', async () => {
    const s1 = sink();
    s1.hold();
    const c1 = connector('src2');
    const h1 = await c1.startCapture(s1.ctx);
    await until('the capture to consume', () => consuming('q_src2'));
    for (let i = 0; i < 30; i++) ch.publish('ex_src2', 'contacts.x', envelope(`{"id":"x","n":${i}}`));
    await new Promise((r) => setTimeout(r, 500));
    // The run dies with its batch uncommitted: its connection goes, the broker requeues what it held.
    await c1.close();
    const s2 = sink();
    const h2 = await connector('src2').startCapture(s2.ctx);
    await until('every change', () => s2.changes.length >= 30);
    expect(s2.changes.map((c) => c.fields.n)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(s2.changes[0]!.eventId).toMatch(/^m:amqp:q_src2:sha256:[0-9a-f]{64}$/);
    s1.release();
    await h1.stop();
    await h2.stop();
  });

  it('holds at most two batches while a commit waits, and the next batch is a full one', async () => {
    const s = sink();
    s.hold();
    const h = await connector('src4').startCapture(s.ctx);
    await until('the capture to consume', () => consuming('q_src4'));
    for (let i = 0; i < 300; i++) ch.publish('ex_src4', 'contacts.k', envelope(`{"id":"k${i}","n":${i}}`), { messageId: `b-${i}` });
    // The first commit is held: the broker has handed out two batches (50 each) and keeps the rest.
    await until('two batches out', async () => (await depth('q_src4')) === 200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await depth('q_src4')).toBe(200);
    expect(s.batches).toHaveLength(0);
    s.release();
    await until('every change', () => s.changes.length === 300);
    // The batch after the held one was waiting whole in the prefetch window.
    expect(s.batches[1]!.changes).toHaveLength(50);
    expect(s.batches.every((b) => b.changes.length <= 50)).toBe(true);
    expect(s.changes.map((c) => c.fields.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    await h.stop();
    expect(await depth('q_src4')).toBe(0);
  });

  it('a poison message goes to the DLQ batch with its routing metadata, then is acked', async () => {
    const s = sink();
    const h = await connector('src3').startCapture(s.ctx);
    await until('the capture to consume', () => consuming('q_src3'));
    ch.publish('ex_src3', 'contacts.p', Buffer.from('{"id": "p", "n": 1'), { messageId: 'bad-1' });
    ch.publish('ex_src3', 'contacts.p', envelope('{"email":"nokey@x.io"}'));
    ch.publish('ex_src3', 'contacts.q', envelope('{"id":"q","n":2}'));
    await until('the good message', () => s.changes.length === 1);
    expect(s.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/id/)]);
    expect(s.rejected[0]!.broker).toMatchObject({ queue: 'q_src3', exchange: 'ex_src3', routingKey: 'contacts.p', messageId: 'bad-1' });
    await h.stop();
    expect(await depth('q_src3')).toBe(0);
  });
});

describe('RabbitMQ sink', () => {
  const op = (key: string, n: number | { $dec: string }, id = `ev-${key}-${JSON.stringify(n)}`): WriteOp => ({ kind: 'upsert', key, fields: { id: key, n }, idempotencyKey: id, sourceTime: 1_700_000_000_000 });

  it('publishes confirmed, persistent envelopes with the write id as message-id, in order', async () => {
    const c = connector('snk1');
    await ch.assertExchange('ex_snk1', 'topic', { durable: true });
    await ch.assertQueue('q_snk1_out', { durable: true });
    await ch.bindQueue('q_snk1_out', 'ex_snk1', 'contacts.#');
    const ops = [op('a.b', { $dec: '12345678901234567890' }), op('c', 1)];
    expect(await c.write('contacts', ops, 'synccanvas:f')).toEqual([{ ok: true, key: 'a.b' }, { ok: true, key: 'c' }]);
    const first = await ch.get('q_snk1_out', { noAck: true });
    const second = await ch.get('q_snk1_out', { noAck: true });
    expect(first && first.fields.routingKey).toBe('contacts.a%2Eb');
    expect(first && first.properties.messageId).toBe('ev-a.b-{"$dec":"12345678901234567890"}');
    expect(first && first.properties.deliveryMode).toBe(2);
    expect(first && first.content.toString()).toBe('{"id":"ev-a.b-{\\"$dec\\":\\"12345678901234567890\\"}","entity":"contacts","op":"upsert","record":{"id":"a.b","n":12345678901234567890},"occurredAt":"2023-11-14T22:13:20.000Z","source":"synccanvas:f"}');
    expect(second && JSON.parse(second.content.toString())).toMatchObject({ record: { id: 'c', n: 1 } });
  });

  it('a broker that is down is unavailable (not a record error); writes go through after it restarts', async () => {
    const c = connector('snk2');
    expect((await c.write('contacts', [op('w', 0)], 'o'))[0]).toMatchObject({ ok: true });
    await broker.kill();
    try {
      const results = await c.write('contacts', [op('y', 1), op('z', 2)], 'o');
      expect(results.map((r) => !r.ok && r.error.errorClass)).toEqual(['unavailable', 'unavailable']);
    } finally {
      await broker.start();
    }
    await until('the writer to recover', async () => (await c.write('contacts', [op('y', 1), op('z', 2)], 'o')).every((r) => r.ok), 30_000);
  });
});

describe('RabbitMQ connection test', () => {
  it('checks the exchange and the typed queue through AMQP, and says what to fix when they are missing', async () => {
    const ok = await connector('src1').testConnection();
    expect(ok.ok, ok.message).toBe(true);
    expect(ok.checks.find((x) => x.name === 'queue')!.message).toMatch(/^q_src1: 0 messages ready/);
    const config = RabbitMqConfigSchema.parse({ url: `amqp://127.0.0.1:${broker.port}`, exchange: 'ex_none', queue: 'q_none', createQueue: false, entities });
    const missing = rabbitMqConnector.create({ config, secrets: {}, flowId: 'f', systemId: 'x', dataDir: '/tmp' });
    made.push(missing);
    const res = await missing.testConnection();
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/there is no exchange "ex_none": create it or turn on "createQueue"/);
    expect(res.checks.find((x) => x.name === 'queue')!.message).toMatch(/there is no queue "q_none"/);
  });
});

