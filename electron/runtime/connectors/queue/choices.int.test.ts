import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../runtime.js';
import { MemorySecretStore } from '../../secrets/memory-store.js';
import type { TestBroker } from './test-support/broker.js';
import { natsUrl, startNatsServer } from './test-support/nats-server.js';
import { redisUrl, startRedisServer } from './test-support/redis-server.js';

/**
 * connectors.choicesDraft against real brokers on 127.0.0.1: the names the form's "List" offers are
 * the ones the broker holds (made here with the bare clients), and an unreachable broker is a clear
 * "unavailable" error, not an empty list.
 */
let dir: string;
let runtime: Runtime;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-choices-'));
  runtime = await openRuntime({ workspaceDir: dir, demo: { simulate: false }, resume: false, secrets: new MemorySecretStore() });
});
afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  await rm(dir, { recursive: true, force: true });
});

const entities = [{ name: 'orders', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }] }];
const draft = (kind: string, config: Record<string, unknown>) => ({ id: 'q', name: 'Queue', kind, config: { entities, ...config }, secretRefs: {}, position: { x: 0, y: 0 } });
const choices = (kind: string, config: Record<string, unknown>, field: string) => runtime.api['connectors.choicesDraft']({ system: draft(kind, config), field });

describe('NATS JetStream', () => {
  let broker: TestBroker;
  let nc: NatsConnection;

  beforeAll(async () => {
    broker = await startNatsServer();
    nc = await connect({ servers: natsUrl(broker) });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ORDERS-eu_2', subjects: ['orders.>'] });
    await jsm.streams.add({ name: 'AUDIT', subjects: ['audit.>'] });
    await jsm.consumers.add('ORDERS-eu_2', { durable_name: 'billing', ack_policy: 'explicit' as never });
    await jsm.consumers.add('ORDERS-eu_2', { durable_name: 'ship-ping_1', ack_policy: 'explicit' as never });
    await jsm.consumers.add('AUDIT', { durable_name: 'not-this-one', ack_policy: 'explicit' as never });
  });
  afterAll(async () => {
    await nc?.close();
    await broker?.stop();
  });

  it('lists the streams the server holds', async () => {
    expect(await choices('nats', { servers: natsUrl(broker) }, 'stream')).toEqual({ choices: ['AUDIT', 'ORDERS-eu_2'] });
  });

  it('lists the consumers of the chosen stream only', async () => {
    expect(await choices('nats', { servers: natsUrl(broker), stream: 'ORDERS-eu_2' }, 'consumer')).toEqual({ choices: ['billing', 'ship-ping_1'] });
  });

  it('says the chosen stream does not exist when asked for its consumers', async () => {
    await expect(choices('nats', { servers: natsUrl(broker), stream: 'NOPE' }, 'consumer')).rejects.toThrow(/consumers of stream "NOPE"/);
  });

  it('refuses a field it has no list for, naming the ones it has', async () => {
    await expect(choices('nats', { servers: natsUrl(broker) }, 'subjectPrefix')).rejects.toThrow(/stream and consumer/);
  });

  it('is "unavailable" with the address when no server answers', async () => {
    const port = broker.port;
    await expect(choices('nats', { servers: `nats://127.0.0.1:${port + 1}` }, 'stream')).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/could not list the choices for "stream"/) });
  });
});

describe('Redis Streams', () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startRedisServer();
    const r = createClient({ url: redisUrl(broker) });
    await r.connect();
    await r.xAdd('crm:orders', '*', { data: '{}' });
    await r.xAdd('crm:contacts', '*', { data: '{}' });
    await r.xAdd('shop.eu:carts', '*', { data: '{}' });
    // Not streams, or no prefix: never offered.
    await r.set('cache:orders', 'x');
    await r.xAdd('loose', '*', { data: '{}' });
    await r.xGroupCreate('crm:orders', 'billing', '0');
    await r.xGroupCreate('crm:contacts', 'sales_team-1', '0');
    await r.xGroupCreate('shop.eu:carts', 'not-this-one', '0');
    await r.quit();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('lists the key prefixes of the stream keys', async () => {
    expect(await choices('redis-streams', { url: redisUrl(broker) }, 'keyPrefix')).toEqual({ choices: ['crm', 'shop.eu'] });
  });

  it('lists the consumer groups of the streams under the chosen prefix', async () => {
    expect(await choices('redis-streams', { url: redisUrl(broker), keyPrefix: 'crm' }, 'group')).toEqual({ choices: ['billing', 'sales_team-1'] });
  });

  it('is "unavailable" with the reason when Redis does not answer', async () => {
    await expect(choices('redis-streams', { url: `redis://127.0.0.1:${broker.port + 1}` }, 'group')).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/could not list the choices for "group"/) });
  });
});

it('says a kind without lists has none, so the user types the name', async () => {
  const sqlite = { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: 'crm.db' }, secretRefs: {}, position: { x: 0, y: 0 } };
  await expect(runtime.api['connectors.choicesDraft']({ system: sqlite, field: 'path' })).rejects.toThrow(/no list to pick "path" from/);
});
