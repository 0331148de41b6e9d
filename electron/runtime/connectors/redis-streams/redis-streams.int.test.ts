import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, WriteOp } from '../types.js';
import { redisUrl, startRedisServer } from '../queue/test-support/redis-server.js';
import type { TestBroker } from '../queue/test-support/broker.js';
import { redisStreamsConnector } from './definition.js';
import { RedisStreamsConfigSchema } from './config.js';
import { captureSink, until } from '../queue/test-support/capture-sink.js';

/**
 * The Redis Streams connector against a real redis-server on 127.0.0.1: values arrive exact, XACK
 * waits for the inbox commit, an entry a dead run left unacknowledged comes back first with the same
 * event id, poison goes to the DLQ batch, a re-sent write appends nothing, and a Redis that cannot be
 * reached is "unavailable".
 */
let broker: TestBroker;
let redis: ReturnType<typeof createClient>;
const made: Connector[] = [];

beforeAll(async () => {
  broker = await startRedisServer();
  redis = createClient({ url: redisUrl(broker), disableOfflineQueue: true, socket: { reconnectStrategy: 100 } });
  redis.on('error', () => {});
  await redis.connect();
});

afterAll(async () => {
  for (const c of made) await c.close().catch(() => {});
  await redis?.quit().catch(() => {});
  await broker?.stop();
});

const entities = [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }, { name: 'email', type: 'string' }, { name: 'n', type: 'integer' }, { name: 'amount', type: 'number' }] }];

function connector(prefix: string, systemId = 'r'): Connector {
  const config = RedisStreamsConfigSchema.parse({ url: redisUrl(broker), keyPrefix: prefix, entities, batchSize: 50 });
  const c = redisStreamsConnector.create({ config, secrets: {}, flowId: 'f', systemId, dataDir: '/tmp' });
  made.push(c);
  return c;
}

const sink = captureSink;

const envelope = (record: string, op = 'upsert') => `{"entity":"contacts","op":"${op}","record":${record},"occurredAt":"2026-01-02T03:04:05.123Z"}`;
const pending = async (key: string, group: string) => ((await redis.xPending(key, group)) as { pending: number }).pending;

describe('Redis Streams source', () => {
  it('maps entries exactly, XACKs only after the inbox commit, in entry order', async () => {
    const s = sink();
    s.hold();
    const h = await connector('src1').startCapture(s.ctx);
    await redis.xAdd('src1:contacts', '*', { data: envelope('{"id":"a b:c","email":"ü@x.io","n":9007199254740993,"amount":0.1000000000000000055511151231257827}') });
    for (let i = 0; i < 120; i++) await redis.xAdd('src1:contacts', '*', { data: envelope(`{"id":"k","n":${i}}`) });
    await until('a delivery', async () => (await pending('src1:contacts', 'synccanvas_f_r')) > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.changes).toHaveLength(0);
    expect(await pending('src1:contacts', 'synccanvas_f_r')).toBeGreaterThan(0);
    s.release();
    await until('all 121 changes', () => s.changes.length === 121);
    await until('all acked', async () => (await pending('src1:contacts', 'synccanvas_f_r')) === 0);
    expect(s.changes[0]!.key).toBe('a b:c');
    expect(s.changes[0]!.fields.n).toEqual({ $dec: '9007199254740993' });
    expect(s.changes[0]!.fields.amount).toEqual({ $dec: '0.1000000000000000055511151231257827' });
    expect(s.changes.slice(1).map((c) => c.fields.n)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    await h.stop();
  });

  it('entries a dead run took but never acknowledged come back first, in order, with the same event ids', async () => {
    const s1 = sink();
    s1.hold();
    const c1 = connector('src2');
    const h1 = await c1.startCapture(s1.ctx);
    for (let i = 0; i < 30; i++) await redis.xAdd('src2:contacts', '*', { data: envelope(`{"id":"x","n":${i}}`) });
    await until('deliveries', async () => (await pending('src2:contacts', 'synccanvas_f_r')) > 0);
    // The run dies with its batch uncommitted: stop reading, never commit.
    const stopped = h1.stop();
    await new Promise((r) => setTimeout(r, 200));
    const taken = await pending('src2:contacts', 'synccanvas_f_r');
    expect(taken).toBeGreaterThan(0);
    for (let i = 30; i < 40; i++) await redis.xAdd('src2:contacts', '*', { data: envelope(`{"id":"x","n":${i}}`) });
    const s2 = sink();
    const h2 = await connector('src2').startCapture(s2.ctx);
    await until('every change', () => s2.changes.length >= 40);
    expect(s2.changes.map((c) => c.fields.n)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(s2.changes[0]!.eventId).toMatch(/^r:redis:src2:contacts:\d+-\d+$/);
    s1.release();
    await stopped;
    await h2.stop();
  });

  it('a poison entry goes to the DLQ batch with its stream and entry id, then is acked', async () => {
    const s = sink();
    const h = await connector('src3').startCapture(s.ctx);
    const bad1 = await redis.xAdd('src3:contacts', '*', { data: '{"id": "p", "n": 1' });
    await redis.xAdd('src3:contacts', '*', { other: 'x' });
    await redis.xAdd('src3:contacts', '*', { data: envelope('{"email":"nokey@x.io"}') });
    await redis.xAdd('src3:contacts', '*', { data: envelope('{"id":"q","n":2}') });
    await until('the good entry', () => s.changes.length === 1);
    expect(s.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/not JSON/), expect.stringMatching(/no "data" field/), expect.stringMatching(/id/)]);
    expect(s.rejected[0]!.broker).toMatchObject({ stream: 'src3:contacts', entryId: bad1, group: 'synccanvas_f_r' });
    await until('all acked', async () => (await pending('src3:contacts', 'synccanvas_f_r')) === 0);
    await h.stop();
  });
});

describe('Redis Streams sink', () => {
  const op = (key: string, n: number | { $dec: string }, id = `ev-${key}-${JSON.stringify(n)}`): WriteOp => ({ kind: 'upsert', key, fields: { id: key, n }, idempotencyKey: id, sourceTime: 1_700_000_000_000 });

  it('appends each change once, in order, with exact values; a re-send after a crash appends nothing', async () => {
    const c = connector('snk1');
    const ops = [op('a', { $dec: '12345678901234567890' }), op('b', 1), { kind: 'delete', key: 'c', mode: 'hard', idempotencyKey: 'del-c', sourceTime: 1_700_000_000_001 } as WriteOp];
    expect(await c.write('contacts', ops, 'synccanvas:f')).toEqual([{ ok: true, key: 'a' }, { ok: true, key: 'b' }, { ok: true, key: 'c' }]);
    expect((await c.write('contacts', ops, 'synccanvas:f')).every((r) => r.ok)).toBe(true);
    const entries = (await redis.xRange('snk1:contacts', '-', '+')) ?? [];
    expect(entries).toHaveLength(3);
    expect(entries[0]!.message.data).toBe('{"id":"ev-a-{\\"$dec\\":\\"12345678901234567890\\"}","entity":"contacts","op":"upsert","record":{"id":"a","n":12345678901234567890},"occurredAt":"2023-11-14T22:13:20.000Z","source":"synccanvas:f"}');
    expect(entries[0]!.message.origin).toBe('synccanvas:f');
    expect(JSON.parse(entries[2]!.message.data!)).toMatchObject({ op: 'delete', record: { id: 'c' } });
  });

  it('a large write goes out in guarded chunks: a re-send after a partial write appends only what is missing, in order', async () => {
    const c = connector('snk3');
    const ops = Array.from({ length: 1200 }, (_, i) => op(`k${i}`, i));
    // An earlier attempt got the first 700 in before the run died (more than one chunk, and half of the next).
    expect((await c.write('contacts', ops.slice(0, 700), 'o')).every((r) => r.ok)).toBe(true);
    const again = await c.write('contacts', ops, 'o');
    expect(again).toEqual(ops.map((o) => ({ ok: true, key: o.kind === 'upsert' ? o.key : '' })));
    const entries = (await redis.xRange('snk3:contacts', '-', '+')) ?? [];
    expect(entries.map((e) => (JSON.parse(e.message.data!) as { record: { n: number } }).record.n)).toEqual(ops.map((_, i) => i));

    // A key that is not a stream: every change of the write is unavailable, and none is remembered as sent.
    await redis.set('snk4:contacts', 'not a stream');
    const c4 = connector('snk4');
    const refused = await c4.write('contacts', ops.slice(0, 3), 'o');
    expect(refused.map((r) => !r.ok && r.error.errorClass)).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(refused[0]).toMatchObject({ error: { message: expect.stringMatching(/appending 3 contacts changes \(k0 … k2\) to snk4:contacts: WRONGTYPE/) } });
    expect(await redis.keys('snk4:sent:*')).toEqual([]);
    await redis.del('snk4:contacts');
    expect((await c4.write('contacts', ops.slice(0, 3), 'o')).every((r) => r.ok)).toBe(true);
    expect(await redis.xLen('snk4:contacts')).toBe(3);
  });

  it('a Redis that cannot be reached is unavailable (not a record error); writes go through after it restarts', async () => {
    const c = connector('snk2');
    expect((await c.write('contacts', [op('w', 0)], 'o'))[0]).toMatchObject({ ok: true });
    await broker.kill();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const results = await c.write('contacts', [op('y', 1), op('z', 2)], 'o');
      expect(results.map((r) => !r.ok && r.error.errorClass)).toEqual(['unavailable', 'unavailable']);
    } finally {
      await broker.start();
    }
    await until('the writer to recover', async () => (await c.write('contacts', [op('y', 1), op('z', 2)], 'o')).every((r) => r.ok), 30_000);
    await until('the test client to reconnect', () => redis.isReady);
    expect(await redis.xLen('snk2:contacts')).toBe(3);
  });
});

describe('Redis Streams connection test', () => {
  it('lists the stream keys with their groups, and says what to fix when Redis cannot be reached', async () => {
    const ok = await connector('src1').testConnection();
    expect(ok.ok, ok.message).toBe(true);
    expect(ok.checks.find((x) => x.name === 'streams')!.message).toMatch(/src1:contacts \(121 entries; groups: synccanvas_f_r 0 pending\)/);
    const bad = redisStreamsConnector.create({ config: RedisStreamsConfigSchema.parse({ url: 'redis://127.0.0.1:1', entities }), secrets: {}, flowId: 'f', systemId: 'x', dataDir: '/tmp' });
    made.push(bad);
    const t0 = Date.now();
    const res = await bad.testConnection();
    expect(res.ok).toBe(false);
    expect(res.message).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1: cannot connect: connect ECONNREFUSED.*check the URL/);
    // A refused connection is known at once: not after the client's connect timeout (5 s).
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('a refused connection is reported at once by the sink and the source, and again on the next try', async () => {
    const config = RedisStreamsConfigSchema.parse({ url: 'redis://127.0.0.1:1', entities });
    const bad = redisStreamsConnector.create({ config, secrets: {}, flowId: 'f', systemId: 'x', dataDir: '/tmp' });
    made.push(bad);
    let t0 = Date.now();
    const [w] = await bad.write('contacts', [{ kind: 'upsert', key: 'a', fields: { id: 'a' }, idempotencyKey: 'a', sourceTime: 0 }], 'o');
    expect(w).toMatchObject({ ok: false, error: { errorClass: 'unavailable', message: expect.stringMatching(/ECONNREFUSED/) } });
    expect(Date.now() - t0).toBeLessThan(1500);
    t0 = Date.now();
    const [again] = await bad.write('contacts', [{ kind: 'upsert', key: 'a', fields: { id: 'a' }, idempotencyKey: 'a', sourceTime: 0 }], 'o');
    expect(again).toMatchObject({ ok: false, error: { errorClass: 'unavailable', message: expect.stringMatching(/reconnecting after: connect ECONNREFUSED/) } });
    expect(Date.now() - t0).toBeLessThan(500);
    const s = sink();
    t0 = Date.now();
    const h = await bad.startCapture(s.ctx);
    await until('the source to report Redis unreachable', () => s.problems.length > 0, 1500);
    expect(s.problems[0]).toMatch(/Redis redis:\/\/127\.0\.0\.1:1 \(synccanvas:contacts\): cannot connect: connect ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(1500);
    await h.stop();
  });
});

