import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector, WriteOp } from '../types.js';
import { ConnectionOptionsSchema } from '../rest/definition-connector.js';
import { captureRecorder } from './contract-servers/capture-recorder.js';
import { startStripeLike, type StripeLike } from './contract-servers/stripe-like.js';
import { definitionConnector, shippedDefinitions } from './vendor-connectors.js';

const KEY = 'sk_test_123';
const WHSEC = 'whsec_abc';
let stripe: StripeLike;
let connector: Connector;

beforeEach(async () => {
  stripe = await startStripeLike(KEY);
  for (let i = 1; i <= 3; i++) stripe.put(`cus_seed${i}`, { email: `c${i}@shop.io`, name: `C${i}` });
  connector = definitionConnector(shippedDefinitions.stripe).create({
    config: ConnectionOptionsSchema.parse({ baseUrl: stripe.url, poll: { mode: 'interval', everyMs: 100 }, webhook: { enabled: true, port: 0 } }),
    secrets: { token: KEY, signingSecret: WHSEC },
    flowId: 'f1',
    systemId: 'billing',
    dataDir: '/nonexistent',
  });
});
afterEach(async () => {
  await connector.close();
  await stripe.close();
});

type UpsertOp = Extract<WriteOp, { kind: 'upsert' }>;
const op = (fields: Record<string, unknown>, key: string | null = null, idempotencyKey = `k-${Math.random()}`): UpsertOp => ({ kind: 'upsert', key, fields, idempotencyKey, sourceTime: Date.now() });

describe('Stripe-like customers (contract server)', () => {
  it('polls with starting_after pages, detects edits by content and deletions by reconciliation', async () => {
    const rec = captureRecorder(['customers']);
    const handle = await connector.startCapture(rec.ctx);
    try {
      await rec.waitFor(() => rec.changes().length >= 3);
      expect(stripe.requests.filter((r) => r.path === '/v1/customers').slice(0, 2).map((r) => r.query.get('starting_after'))).toEqual([null, 'cus_seed2']);
      const pollsBefore = rec.batches.length;
      await new Promise((r) => setTimeout(r, 250));
      expect(rec.batches.length).toBe(pollsBefore); // unchanged data: no commits at all

      stripe.put('cus_seed2', { name: 'Renamed' });
      stripe.remove('cus_seed3');
      await rec.waitFor(() => rec.changes().length >= 5);
      const tail = rec.changes().slice(3);
      expect(tail.map((c) => [c.op, c.key]).sort()).toEqual([
        ['delete', 'cus_seed3'],
        ['upsert', 'cus_seed2'],
      ]);
      expect(tail.find((c) => c.op === 'upsert')!.fields.name).toBe('Renamed');
    } finally {
      await handle.stop();
    }
  });

  it('receives Stripe-Signature webhooks: events become changes keyed by event id; replays, bad signatures and other event types store nothing', async () => {
    const rec = captureRecorder(['customers']);
    const handle = await connector.startCapture(rec.ctx);
    try {
      const url = await rec.waitFor(() => rec.webhookUrl());
      await rec.waitFor(() => rec.changes().length >= 3);
      const base = rec.changes().length;
      const customer = stripe.put('cus_seed1', { email: 'hook@shop.io' });
      expect(await stripe.sendEvent(url, WHSEC, 'customer.updated', customer, 'evt_1')).toBe(200);
      expect(await stripe.sendEvent(url, WHSEC, 'customer.deleted', { id: 'cus_seed2', object: 'customer' as const, deleted: true as const }, 'evt_2')).toBe(200);
      expect(await stripe.sendEvent(url, WHSEC, 'customer.updated', customer, 'evt_1')).toBe(409);
      expect(await stripe.sendEvent(url, 'whsec_wrong', 'customer.updated', customer, 'evt_3')).toBe(401);
      expect(await stripe.sendEvent(url, WHSEC, 'customer.updated', customer, 'evt_4', Date.now() - 3_600_000)).toBe(401);
      expect(await stripe.sendEvent(url, WHSEC, 'invoice.paid', { id: 'in_1', object: 'customer' as const, deleted: true as const }, 'evt_5')).toBe(200);
      const hooks = rec.changes().filter((c) => c.eventId.includes(':wh:'));
      expect(hooks.map((c) => [c.eventId, c.op, c.key])).toEqual([
        ['billing:wh:evt_1', 'upsert', 'cus_seed1'],
        ['billing:wh:evt_2', 'delete', 'cus_seed2'],
      ]);
      expect(hooks[0]!.fields.email).toBe('hook@shop.io');
      expect(hooks[0]!.version! % 1000).toBe(0); // event `created` is Unix seconds
      expect(rec.changes().length).toBeGreaterThanOrEqual(base + 2);
    } finally {
      await handle.stop();
    }
  });

  it('writes form-encoded with Idempotency-Key: a retried create is replayed by the server, not duplicated', async () => {
    const create = op({ email: 'new@shop.io', name: 'New', metadata: { plan: 'pro' } }, null, 'idem-1');
    const [a] = await connector.write('customers', [create], 'synccanvas:f1');
    const [b] = await connector.write('customers', [create], 'synccanvas:f1');
    expect(a).toMatchObject({ ok: true });
    expect(b).toEqual(a);
    expect(stripe.customers.size).toBe(4);
    const created = stripe.customers.get((a as { key: string }).key)!;
    expect(created.metadata).toEqual({ plan: 'pro' });
    const post = stripe.requests.find((r) => r.method === 'POST')!;
    expect(post.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(post.body).toBe('email=new%40shop.io&name=New&metadata%5Bplan%5D=pro');
    expect(post.headers['x-synccanvas-origin']).toBe('synccanvas:f1');

    const [upd] = await connector.write('customers', [op({ phone: '+15550100' }, 'cus_seed1')], 'o');
    expect(upd).toEqual({ ok: true, key: 'cus_seed1' });
    expect(stripe.customers.get('cus_seed1')!.phone).toBe('+15550100');
    // The engine matches (one search), then writes to the record it found by its key.
    const found = await connector.findByField('customers', 'email', ['c2@shop.io'], 'exact');
    expect(found.map((r) => r.key)).toEqual(['cus_seed2']);
    const [matched] = await connector.write('customers', [{ ...op({ name: 'By email' }, found[0]!.key), ifMissing: 'skip' }], 'o');
    expect(matched).toEqual({ ok: true, key: 'cus_seed2' });

    const [bad] = await connector.write('customers', [op({ email: 'broken' })], 'o');
    expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation' } });
    expect((bad as { error: { response: string } }).error.response).toContain('Invalid email address: broken');
    const [del] = await connector.write('customers', [{ kind: 'delete', key: 'cus_seed3', mode: 'hard', idempotencyKey: 'x', sourceTime: 1 }], 'o');
    expect(del).toEqual({ ok: true, key: 'cus_seed3' });
    expect(stripe.customers.has('cus_seed3')).toBe(false);
  });
});
