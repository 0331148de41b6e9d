import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureContext, Connector } from '../connectors/types.js';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';
import { statusOf } from './test-support/engine-operations.js';

/**
 * A target that cannot be reached pauses its edge instead of failing records: its changes wait in
 * the inbox with no attempt used, the status says since when and when the next probe is, probes
 * back off, and the backlog drains by itself once the target answers.
 */

const field = (a: string, b: string, owner: 'a' | 'b') => ({ a, b, owner, toB: [], toA: [], required: false });
const REFUSED = 'connect ECONNREFUSED 127.0.0.1:5432';
const engines: FlowEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

function setup(opts: { maxInboxRows?: number; maxAttempts?: number; direction?: 'a-to-b' | 'both' } = {}) {
  let now = 1_000_000;
  const clock = { now: () => now };
  const crm = new MemorySystem('crm', () => now, true);
  const billing = new MemorySystem('billing', () => now, true);
  const store = new Store(openStoreDatabase(':memory:'));
  let captureCtx: CaptureContext | null = null;
  const crmConnector: Connector = {
    ...crm.connector(crmEntities),
    async startCapture(ctx) {
      captureCtx = ctx;
      return { stop: async () => {} };
    },
  };
  const logs: string[] = [];
  const engine = new FlowEngine({
    store,
    flow: testFlow(opts.direction === 'both' ? { direction: 'both', fields: [field('email', 'contact_email', 'a'), field('name', 'full_name', 'a'), field('plan', 'plan_code', 'b')] } : {}),
    connectors: new Map([
      ['crm', crmConnector],
      ['billing', billing.connector(billingEntities)],
    ]),
    entities: new Map([
      ['crm', crmEntities],
      ['billing', billingEntities],
    ]),
    clock,
    random: () => 0.5,
    retry: { baseMs: 100, maxMs: 1000, maxAttempts: opts.maxAttempts ?? 8 },
    ...(opts.maxInboxRows !== undefined ? { maxInboxRows: opts.maxInboxRows } : {}),
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  engines.push(engine);
  let delivered = 0;
  const capture = () => {
    const changes = crm.changesSince(delivered, 10_000);
    delivered += changes.length;
    if (changes.length > 0) engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
  };
  const addContacts = (from: number, n: number) => {
    for (let i = from; i < from + n; i++) crm.userUpsert('contacts', `c${i}`, { email: `u${i}@x.io`, name: `N ${i}`, plan: 'p' });
  };
  return {
    engine,
    store,
    crm,
    billing,
    logs,
    capture,
    addContacts,
    ctx: () => captureCtx!,
    at: (t: number) => (now = t),
    now: () => now,
  };
}

const attemptsOf = (store: Store) => store.inbox.ready('f1', Number.MAX_SAFE_INTEGER, 100_000).map((r) => r.attempts);

describe('FlowEngine when a target is unavailable', () => {
  it('keeps the changes in the inbox untouched, probes with capped backoff, and drains by itself', async () => {
    // Two attempts would dead-letter a record-level transient error on the second failure.
    const t = setup({ maxAttempts: 2 });
    t.billing.down = REFUSED;
    t.addContacts(0, 10);
    t.capture();
    const start = t.now();
    await t.engine.processBatch();
    expect(t.billing.refusedCalls).toBe(1);
    expect(t.store.inbox.pending('f1')).toBe(10);
    expect(attemptsOf(t.store)).toEqual(Array(10).fill(0));
    expect(t.store.dlq.depthOfFlow('f1')).toBe(0);
    // Jitter 0.5 of 1 s: the first probe after 750 ms.
    const status = statusOf(t.engine);
    const outage = { systemId: 'billing', name: 'Billing', since: start, retryAt: start + 750, message: REFUSED };
    expect(status.systems.find((s) => s.systemId === 'billing')?.unreachable).toEqual(outage);
    expect(status.systems.find((s) => s.systemId === 'crm')?.unreachable).toBeNull();
    expect(status.syncs[0]!.unreachable).toEqual([outage]);
    expect(t.logs.some((l) => l.startsWith('warn Billing unreachable since ') && l.includes('— retrying in 1 s') && l.includes(REFUSED))).toBe(true);

    // Before the probe time nothing is tried, however many changes arrive.
    t.addContacts(10, 5);
    t.capture();
    t.at(start + 700);
    expect(await t.engine.processBatch()).toEqual({ settled: 0, deferred: 0 });
    expect(t.billing.refusedCalls).toBe(1);

    // Probes back off 1 s, 2 s, 4 s … and stay at 20 s (times 0.75 for the jitter).
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = statusOf(t.engine).systems.find((s) => s.systemId === 'billing')!.unreachable!.retryAt;
      t.at(before);
      await t.engine.processBatch();
      gaps.push(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')!.unreachable!.retryAt - before);
    }
    expect(gaps).toEqual([1500, 3000, 6000, 12_000, 15_000, 15_000, 15_000, 15_000]);
    expect(t.billing.refusedCalls).toBe(9);
    expect(t.store.dlq.depthOfFlow('f1')).toBe(0);
    expect(attemptsOf(t.store)).toEqual(Array(15).fill(0));
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')!.unreachable!.since).toBe(start);

    // The target comes back: the next probe succeeds and the backlog drains, in order, once.
    t.billing.down = null;
    t.at(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')!.unreachable!.retryAt);
    await t.engine.drainNow();
    expect(t.store.inbox.pending('f1')).toBe(0);
    expect(t.store.dlq.depthOfFlow('f1')).toBe(0);
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')?.unreachable).toBeNull();
    expect(statusOf(t.engine).syncs[0]!.unreachable).toEqual([]);
    expect([...t.billing.table('customers').values()].map((r) => r.contact_email).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `u${i}@x.io`).sort());
    expect(t.billing.writes).toHaveLength(15);
    expect(t.logs.some((l) => /Billing reachable again after \d+ s/.test(l))).toBe(true);
  });

  it('still dead-letters record-level errors after their retries', async () => {
    const t = setup({ maxAttempts: 2 });
    t.addContacts(0, 1);
    t.capture();
    t.billing.failNext = { count: 5, errorClass: 'transient' };
    await t.engine.processBatch();
    t.at(t.now() + 10_000);
    await t.engine.processBatch();
    expect(t.store.dlq.depthOfFlow('f1')).toBe(1);
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')?.unreachable).toBeNull();
  });

  it('pauses only the routes into the unavailable system', async () => {
    const t = setup({ direction: 'both' });
    t.addContacts(0, 2);
    t.capture();
    await t.engine.drainNow();
    expect(t.billing.table('customers').size).toBe(2);
    // CRM (the other direction's target) goes down; billing → crm pauses, crm → billing goes on.
    t.crm.down = 'socket hang up';
    const [key] = [...t.billing.table('customers').keys()];
    // A billing edit of the plan (billing owns it) and a CRM edit of the name.
    t.billing.userUpsert('customers', key!, { plan_code: 'gold' });
    const billingChanges = t.billing.changesSince(t.billing.log.length - 1, 1);
    t.engine.commitCaptured('billing', { changes: billingChanges, checkpoint: String(t.billing.log.length) });
    t.crm.userUpsert('contacts', 'c1', { name: 'Renamed' });
    t.capture();
    await t.engine.drainNow();
    expect(t.crm.refusedCalls).toBe(1);
    expect([...t.billing.table('customers').values()].find((r) => r.contact_email === 'u1@x.io')?.full_name).toBe('Renamed');
    expect(t.store.inbox.pendingFor('f1', 's1', 'b-to-a')).toBe(1);
    expect(t.store.inbox.pendingFor('f1', 's1', 'a-to-b')).toBe(0);
    expect(t.store.dlq.depthOfFlow('f1')).toBe(0);
    t.crm.down = null;
    t.at(t.now() + 60_000);
    await t.engine.drainNow();
    expect(t.store.inbox.pending('f1')).toBe(0);
    expect(t.crm.table('contacts').get(t.store.links.other('f1', 's1', 'b', key!)!)?.plan).toBe('gold');
  });

  it('shows the edge as unreachable while the flow runs', async () => {
    const t = setup();
    await t.engine.start();
    t.billing.down = REFUSED;
    t.addContacts(0, 3);
    t.capture();
    await new Promise((r) => setTimeout(r, 50));
    const sync = statusOf(t.engine).syncs[0]!;
    expect(sync.health).toBe('unreachable');
    expect(sync.unreachable?.map((u) => u.name)).toEqual(['Billing']);
    expect(statusOf(t.engine).dlqDepth).toBe(0);
    // Stopped, it reports no outage; the changes wait in the inbox for the next start.
    await t.engine.stop();
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'billing')?.unreachable).toBeNull();
    expect(statusOf(t.engine).syncs[0]).toMatchObject({ health: 'idle', unreachable: [] });
    expect(t.store.inbox.pending('f1')).toBe(3);
  });

  it('holds capture back while the inbox is over its bound, and lets it go once the target caught up', async () => {
    const t = setup({ maxInboxRows: 5 });
    await t.engine.start();
    t.billing.down = REFUSED;
    t.addContacts(0, 6);
    const changes = t.crm.changesSince(0, 6);
    let returned = false;
    const sunk = t.ctx().sink({ changes, checkpoint: '6' }).then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 400));
    // Committed (nothing lost), but the capture loop is held: it reads no more from its source.
    expect(t.store.inbox.pending('f1')).toBe(6);
    expect(returned).toBe(false);
    expect(t.ctx().inboxFull!()).toBe(true);
    expect(statusOf(t.engine).notices.some((n) => n.includes('the inbox holds 6 changes (bound 5)'))).toBe(true);
    t.billing.down = null;
    t.at(t.now() + 60_000);
    t.engine.kick();
    await sunk;
    expect(t.store.inbox.pending('f1')).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.ctx().inboxFull!()).toBe(false);
  });

  it('shows a source its capture cannot reach the same way, and clears it when capture runs again', async () => {
    const t = setup();
    await t.engine.start();
    const start = t.now();
    t.ctx().reportAvailability!({ message: 'replication stream failed: connect ECONNREFUSED 127.0.0.1:5432', retryInMs: 3000 });
    const status = statusOf(t.engine);
    expect(status.systems.find((s) => s.systemId === 'crm')?.unreachable).toEqual({ systemId: 'crm', name: 'CRM', since: start, retryAt: start + 3000, message: 'replication stream failed: connect ECONNREFUSED 127.0.0.1:5432' });
    expect(status.syncs[0]).toMatchObject({ health: 'unreachable', unreachable: [{ systemId: 'crm', name: 'CRM' }] });
    // A second failed reconnect keeps the start of the outage.
    t.at(start + 5000);
    t.ctx().reportAvailability!({ message: 'again', retryInMs: 6000 });
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'crm')?.unreachable).toMatchObject({ since: start, retryAt: start + 11_000, message: 'again' });
    t.ctx().reportAvailability!(null);
    expect(statusOf(t.engine).systems.find((s) => s.systemId === 'crm')?.unreachable).toBeNull();
    expect(statusOf(t.engine).syncs[0]!.health).not.toBe('unreachable');
    expect(statusOf(t.engine).notices.some((n) => n.includes('CRM reachable again after 5 s; capture resumed'))).toBe(true);
  });
});
