import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, WriteOp } from '../types.js';
import { startNatsServer, natsUrl } from '../queue/test-support/nats-server.js';
import type { TestBroker } from '../queue/test-support/broker.js';
import { natsConnector } from './definition.js';
import { NatsConfigSchema } from './config.js';
import { captureSink, until } from '../queue/test-support/capture-sink.js';

/**
 * The NATS JetStream connector against a real nats-server (-js) on 127.0.0.1: values arrive exact,
 * acks wait for the inbox commit, redeliveries repeat their event id, poison goes to the DLQ batch,
 * publishes are deduplicated by Nats-Msg-Id, and an unreachable server is "unavailable".
 */
let broker: TestBroker;
let nc: NatsConnection;
let jsm: JetStreamManager;
const made: Connector[] = [];

beforeAll(async () => {
  broker = await startNatsServer();
  nc = await connect({ servers: natsUrl(broker) });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  for (const c of made) await c.close().catch(() => {});
  await nc?.close();
  await broker?.stop();
});

const entities = [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'n', type: 'integer' }, { name: 'amount', type: 'number' }] }];

function connector(stream: string, extra: Record<string, unknown> = {}, systemId = 'q'): Connector {
  const config = NatsConfigSchema.parse({ servers: natsUrl(broker), stream, subjectPrefix: stream.toLowerCase(), entities, ...extra });
  const c = natsConnector.create({ config, secrets: {}, flowId: 'f', systemId, dataDir: '/tmp' });
  made.push(c);
  return c;
}

/** A sink standing in for the inbox; `gate` holds commits as a slow inbox would. */
const sink = captureSink;

const envelope = (id: string, record: string, op = 'upsert') => `{"id":"${id}","entity":"contacts","op":"${op}","record":${record},"occurredAt":"2026-01-02T03:04:05.123Z"}`;

describe('NATS JetStream source', () => {
  it('maps envelopes exactly, acks only after the inbox commit, and keeps stream order', async () => {
    const c = connector('SRC1');
    const s = sink();
    s.hold();
    const handle = await c.startCapture(s.ctx);
    const js = jetstream(nc);
    await until('the consumer to exist', async () => (await jsm.consumers.list('SRC1').next()).length > 0);
    // Integers beyond 2^53 and a long decimal must keep every digit; a key with subject metacharacters is one record.
    await js.publish('src1.contacts.a', envelope('m1', '{"id":"a.b *>","email":"ü@x.io","n":9007199254740993,"amount":0.1000000000000000055511151231257827}'));
    for (let i = 0; i < 20; i++) await js.publish('src1.contacts.k', envelope(`s${i}`, `{"id":"k","email":"k@x.io","n":${i}}`));
    await until('the batch to reach the held sink', async () => (await jsm.consumers.info('SRC1', 'synccanvas_f_q')).num_ack_pending > 0);
    await new Promise((r) => setTimeout(r, 300));
    // Nothing acknowledged while the inbox commit has not happened.
    expect((await jsm.consumers.info('SRC1', 'synccanvas_f_q')).ack_floor.stream_seq).toBe(0);
    s.release();
    await until('all 21 changes', () => s.changes.length === 21);
    await until('the acks', async () => (await jsm.consumers.info('SRC1', 'synccanvas_f_q')).ack_floor.stream_seq === 21);
    const first = s.changes[0]!;
    expect(first.key).toBe('a.b *>');
    expect(first.fields.n).toEqual({ $dec: '9007199254740993' });
    expect(first.fields.amount).toEqual({ $dec: '0.1000000000000000055511151231257827' });
    expect(first.sourceTime).toBe(Date.parse('2026-01-02T03:04:05.123Z'));
    expect(s.changes.slice(1).map((ch) => ch.fields.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(s.changes.map((ch) => ch.eventId)).size).toBe(21);
    await handle.stop();
  });

  it('a message not acknowledged (the process died before the commit) comes back with the same event id', async () => {
    const js = jetstream(nc);
    const c1 = connector('SRC2', { ackWaitSec: 5 });
    const s1 = sink();
    s1.hold();
    const h1 = await c1.startCapture(s1.ctx);
    await until('the consumer to exist', async () => (await jsm.consumers.list('SRC2').next()).length > 0);
    await js.publish('src2.contacts.x', envelope('r1', '{"id":"x","n":1}'));
    await until('the delivery', async () => (await jsm.consumers.info('SRC2', 'synccanvas_f_q')).num_ack_pending === 1);
    // Dies while the commit waits: no ack, the server redelivers after ack_wait.
    const stopping = h1.stop();
    await c1.close();
    s1.release();
    await stopping;
    const s2 = sink();
    const h2 = await connector('SRC2', { ackWaitSec: 5 }).startCapture(s2.ctx);
    await until('the redelivery', () => s2.changes.length === 1, 20_000);
    // Either the first commit got through (then the repeat is a duplicate by id) or it did not: same id both ways.
    if (s1.changes.length) expect(s2.changes[0]!.eventId).toBe(s1.changes[0]!.eventId);
    expect(s2.changes[0]!.eventId).toMatch(/^q:nats:SRC2@\d+:1$/);
    await h2.stop();
  });

  it('a poison message goes to the DLQ batch with broker metadata, then is acked; the stream moves on', async () => {
    const js = jetstream(nc);
    const c = connector('SRC3');
    const s = sink();
    const h = await c.startCapture(s.ctx);
    await until('the consumer to exist', async () => (await jsm.consumers.list('SRC3').next()).length > 0);
    const hd = headers();
    hd.set('Nats-Msg-Id', 'bad-1');
    await js.publish('src3.contacts.p', '{"id": "p", "n": 1', { headers: hd });
    await js.publish('src3.contacts.p', new Uint8Array([0xff, 0xfe, 0x00]));
    await js.publish('src3.contacts.p', envelope('no-key', '{"email":"nokey@x.io"}'));
    await js.publish('src3.contacts.q', envelope('ok', '{"id":"q","n":2}'));
    await until('the good message', () => s.changes.length === 1).catch((e) => { throw new Error(`${e.message}; capture said ${s.problems.join(' | ')}`); });
    expect(s.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/not UTF-8/), expect.stringMatching(/id/)]);
    expect(s.rejected[0]!.broker).toMatchObject({ subject: 'src3.contacts.p', stream: 'SRC3', sequence: 1, msgId: 'bad-1' });
    expect(s.rejected[0]!.body).toBe('{"id": "p", "n": 1');
    await until('all acked', async () => (await jsm.consumers.info('SRC3', 'synccanvas_f_q')).ack_floor.stream_seq === 4);
    await h.stop();
  });
});

describe('NATS JetStream source pace', () => {
  it('commits a message that comes alone at once, not when its pull expires; a held commit keeps at most two batches out', async () => {
    const c = connector('SRC4', { batchSize: 50 });
    const s = sink();
    const handle = await c.startCapture(s.ctx);
    const js = jetstream(nc);
    await until('the consumer to exist', async () => (await jsm.consumers.list('SRC4').next()).length > 0);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      await js.publish('src4.contacts.a', envelope(`a${i}`, `{"id":"a","n":${i}}`));
      await until(`message ${i} in the inbox`, () => s.changes.length === i + 1, 5000);
      // A pull lives for a second; the message must not wait for its end.
      expect(Date.now() - t0).toBeLessThan(400);
      await new Promise((r) => setTimeout(r, 150 * i));
    }
    s.hold();
    await Promise.all(Array.from({ length: 300 }, (_, i) => js.publish('src4.contacts.k', envelope(`k${i}`, `{"id":"k","n":${i}}`))));
    await until('a batch to reach the held sink', async () => (await jsm.consumers.info('SRC4', 'synccanvas_f_q')).num_ack_pending > 0);
    await new Promise((r) => setTimeout(r, 1500));
    const held = await jsm.consumers.info('SRC4', 'synccanvas_f_q');
    expect(held.num_ack_pending).toBeLessThanOrEqual(100);
    expect(held.num_pending).toBeGreaterThanOrEqual(200);
    s.release();
    await until('all 305', () => s.changes.length === 305);
    expect(s.changes.slice(5).map((ch) => ch.fields.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(s.batches.every((b) => b.changes.length <= 50)).toBe(true);
    await until('all acked', async () => (await jsm.consumers.info('SRC4', 'synccanvas_f_q')).ack_floor.stream_seq === 305);
    await handle.stop();
  });
});

describe('NATS JetStream sink', () => {
  const op = (key: string, n: number | { $dec: string }, id = `ev-${key}-${JSON.stringify(n)}`): WriteOp => ({ kind: 'upsert', key, fields: { id: key, n }, idempotencyKey: id, sourceTime: 1_700_000_000_000 });

  it('publishes the envelope exactly, once per idempotency key, in order', async () => {
    const c = connector('SNK1');
    const ops = [op('a.b', { $dec: '12345678901234567890' }), op('c', 1), { kind: 'delete', key: 'd', mode: 'hard', idempotencyKey: 'del-d', sourceTime: 1_700_000_000_001 } as WriteOp];
    expect(await c.write('contacts', ops, 'synccanvas:f')).toEqual([{ ok: true, key: 'a.b' }, { ok: true, key: 'c' }, { ok: true, key: 'd' }]);
    // A retry after a crash sends the same ids: the server drops them.
    expect((await c.write('contacts', ops, 'synccanvas:f')).every((r) => r.ok)).toBe(true);
    const info = await jsm.streams.info('SNK1');
    expect(info.state.messages).toBe(3);
    const first = await jsm.streams.getMessage('SNK1', { seq: 1 });
    expect(first!.subject).toBe('snk1.contacts.a%2Eb');
    expect(first!.string()).toBe('{"id":"ev-a.b-{\\"$dec\\":\\"12345678901234567890\\"}","entity":"contacts","op":"upsert","record":{"id":"a.b","n":12345678901234567890},"occurredAt":"2023-11-14T22:13:20.000Z","source":"synccanvas:f"}');
    expect(first!.header.get('Nats-Msg-Id')).toBe('ev-a.b-{"$dec":"12345678901234567890"}');
    const third = await jsm.streams.getMessage('SNK1', { seq: 3 });
    expect(JSON.parse(third!.string())).toMatchObject({ op: 'delete', record: { id: 'd' } });
  });

  it('reads each PubAck of a pipelined batch: a message the stream refuses is a record error, the rest are stored in order; a subject no stream takes pauses', async () => {
    // A stream made by hand that takes at most 200 bytes a message (JetStream's err_code 10054 beyond that).
    await jsm.streams.add({ name: 'SNK3', subjects: ['snk3.>'], max_msg_size: 200 });
    const c = connector('SNK3', { createStream: false });
    const ops = Array.from({ length: 300 }, (_, i) => op(`k${i % 7}`, i));
    ops[150] = op('big', { $dec: '9'.repeat(300) });
    const results = await c.write('contacts', ops, 'o');
    expect(results[150]).toMatchObject({ ok: false, error: { errorClass: 'permanent', message: expect.stringMatching(/publishing contacts big to snk3\.contacts\.big: .*maximum/) } });
    expect(results.filter((r) => r.ok)).toHaveLength(299);
    expect((await jsm.streams.info('SNK3')).state.messages).toBe(299);
    const ns: number[] = [];
    for (let seq = 1; seq <= 299; seq++) ns.push((JSON.parse((await jsm.streams.getMessage('SNK3', { seq }))!.string()) as { record: { n: number } }).record.n);
    expect(ns).toEqual(Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 150));

    // The stream's subjects no longer cover ours: the server answers each publish "no responders".
    await jsm.streams.update('SNK3', { subjects: ['elsewhere.>'], max_msg_size: 200 });
    const lost = await c.write('contacts', [op('x', 1), op('y', 2)], 'o');
    expect(lost).toEqual([0, 1].map(() => ({ ok: false, error: expect.objectContaining({ errorClass: 'unavailable', message: expect.stringMatching(/no JetStream stream takes this subject/) }) })));
  });

  it('refuses a value with no exact JSON form by field, and reports an unreachable server as unavailable, not a record error', async () => {
    const c = connector('SNK2');
    const [bad] = await c.write('contacts', [op('x', Number.NaN)], 'o');
    expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/field "n"/) } });
    await broker.kill();
    try {
      const t0 = Date.now();
      const results = await c.write('contacts', [op('y', 1), op('z', 2)], 'o');
      expect(results.map((r) => !r.ok && r.error.errorClass)).toEqual(['unavailable', 'unavailable']);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      await broker.start();
    }
    // After the restart the same writes go through (the client reconnects by itself).
    await until('the writer to recover', async () => (await c.write('contacts', [op('y', 1), op('z', 2)], 'o')).every((r) => r.ok), 30_000);
    // The test's own connection reconnects on its own schedule: ask until it answers, then count.
    let messages: number | null = null;
    await until('the test connection to answer again', async () => (messages = (await jsm.streams.info('SNK2').catch(() => null))?.state.messages ?? null) !== null, 30_000);
    expect(messages).toBe(2);
  });
});

describe('NATS JetStream connection test', () => {
  it('lists the streams and consumers to pick from, and says what to fix when the server is wrong', async () => {
    const c = connector('SRC1');
    const ok = await c.testConnection();
    expect(ok.ok, ok.message).toBe(true);
    expect(ok.checks.find((x) => x.name === 'streams')!.message).toMatch(/SRC1 \(src1\.>; 21 messages\)/);
    expect(ok.checks.find((x) => x.name === 'consumers')!.message).toMatch(/synccanvas_f_q/);
    const bad = natsConnector.create({ config: NatsConfigSchema.parse({ servers: 'nats://127.0.0.1:1', entities }), secrets: {}, flowId: 'f', systemId: 'x', dataDir: '/tmp' });
    made.push(bad);
    const res = await bad.testConnection();
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/cannot reach NATS at nats:\/\/127\.0\.0\.1:1.*check the URL/);
  });
});

