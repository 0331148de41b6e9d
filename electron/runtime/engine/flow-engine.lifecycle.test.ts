import { describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';
import { statusOf } from './test-support/engine-operations.js';

describe('FlowEngine lifecycle', () => {
  it('stops a capture that finishes starting after the flow was stopped, instead of leaking it', async () => {
    const crm = new MemorySystem('crm', () => 1_000, true);
    const billing = new MemorySystem('billing', () => 1_000, true);
    let finishStart!: () => void;
    const starting = new Promise<void>((r) => (finishStart = r));
    let stops = 0;
    const slowCrm = {
      ...crm.connector(crmEntities),
      async startCapture() {
        await starting;
        return { stop: async () => void stops++ };
      },
    };
    const engine = new FlowEngine({
      store: new Store(openStoreDatabase(':memory:')),
      flow: testFlow(),
      connectors: new Map([
        ['crm', slowCrm],
        ['billing', billing.connector(billingEntities)],
      ]),
    });
    const started = engine.start();
    await engine.stop();
    finishStart();
    await started;
    expect(stops).toBeGreaterThanOrEqual(1);
    expect(statusOf(engine).systems.find((s) => s.systemId === 'crm')?.capturing).toBe(false);
  });
});

describe('FlowEngine fast start', () => {
  const waitFor = async (what: string, cond: () => boolean) => {
    const end = Date.now() + 5000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('captures while another system is still starting, and applies only once discovery has told it the target types', async () => {
    const crm = new MemorySystem('crm', () => 1_000, true);
    const billing = new MemorySystem('billing', () => 1_000, true);
    let releaseBilling!: () => void;
    const billingStarting = new Promise<void>((r) => (releaseBilling = r));
    let finishDiscovery!: (entities: Map<string, typeof crmEntities>) => void;
    const discovery = new Promise<Map<string, typeof crmEntities>>((r) => (finishDiscovery = r));
    const store = new Store(openStoreDatabase(':memory:'));
    const crmConnector = {
      ...crm.connector(crmEntities),
      async startCapture(ctx: Parameters<ReturnType<MemorySystem['connector']>['startCapture']>[0]) {
        await ctx.sink({ changes: [{ eventId: 'crm:1', entity: 'contacts', key: 'c1', op: 'upsert', fields: { id: 'c1', email: 'ann@x.com', name: 'Ann', plan: 'pro' }, sourceTime: 1_000, origin: 'user' }], checkpoint: '1' });
        return { stop: async () => {} };
      },
    };
    const hangingBilling = {
      ...billing.connector(billingEntities),
      async startCapture() {
        await billingStarting; // a database that takes its time (a slot, a snapshot, no answer yet)
        return { stop: async () => {} };
      },
    };
    const engine = new FlowEngine({
      store,
      flow: testFlow({ direction: 'both', fields: [{ a: 'email', b: 'contact_email', owner: 'a' }, { a: 'plan', b: 'plan_code', owner: 'a' }] } as Parameters<typeof testFlow>[0]),
      connectors: new Map([
        ['crm', crmConnector],
        ['billing', hangingBilling],
      ]),
      discovery,
    });
    const started = engine.start();
    await waitFor('the CRM capture to commit while Billing is still starting', () => statusOf(engine).inboxPending === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(billing.table('customers').size, 'nothing is applied before the target types are known').toBe(0);

    // Billing's plan_code turns out to be an integer column: the first batch is type-checked.
    const intPlan = billingEntities.map((e) => ({ ...e, fields: e.fields.map((f) => (f.name === 'plan_code' ? { ...f, type: 'integer' as const } : f)) }));
    finishDiscovery(new Map([['crm', crmEntities], ['billing', intPlan]]));
    await waitFor('the change to settle', () => statusOf(engine).inboxPending === 0);
    expect(billing.table('customers').size).toBe(0);
    expect(store.dlq.list({ flowId: engine.flowId }, 10, 0).entries.map((e) => e.errorClass)).toEqual(['validation']);

    releaseBilling();
    await started;
    await engine.stop();
  });

  it('stops promptly while discovery has not answered', async () => {
    const crm = new MemorySystem('crm', () => 1_000, true);
    const billing = new MemorySystem('billing', () => 1_000, true);
    const engine = new FlowEngine({
      store: new Store(openStoreDatabase(':memory:')),
      flow: testFlow(),
      connectors: new Map([
        ['crm', crm.connector(crmEntities)],
        ['billing', billing.connector(billingEntities)],
      ]),
      discovery: new Promise(() => {}),
    });
    await engine.start();
    const t0 = Date.now();
    await engine.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe('FlowEngine and the event loop', () => {
  it('lets timers and sockets run between batches while a backlog drains into a synchronous target', async () => {
    const crm = new MemorySystem('crm', () => 1_000, true);
    const billing = new MemorySystem('billing', () => 1_000, true);
    const store = new Store(openStoreDatabase(':memory:'));
    const flow = testFlow();
    store.transaction(() => {
      for (let i = 0; i < 5_000; i++) {
        store.inbox.add(flow.id, { eventId: `crm:${i}`, system: 'crm', entity: 'contacts', key: `c${i}`, op: 'upsert', fields: { id: `c${i}`, email: `p${i}@x.com`, name: 'P', plan: 'pro' }, sourceTime: 1_000, captureTime: 1_000, origin: 'user' }, { syncId: 's1', direction: 'a-to-b', notBefore: 0 });
      }
    });
    const engine = new FlowEngine({
      store,
      flow,
      connectors: new Map([
        ['crm', crm.connector(crmEntities)],
        ['billing', billing.connector(billingEntities)],
      ]),
      batchSize: 500,
    });
    await engine.start();
    // A timer set now stands for a webhook connection or an API request arriving during the drain.
    const pendingWhenTimerRan = await new Promise<number>((r) => setTimeout(() => r(statusOf(engine).inboxPending), 0));
    expect(pendingWhenTimerRan, 'the timer ran only after the whole backlog was applied').toBeGreaterThan(0);
    await engine.stop();
  });
});
