import { afterEach, describe, expect, it } from 'vitest';
import type { CaptureContext, Connector } from '../connectors/types.js';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';

/**
 * A capture that reads at its own pace (a replication slot catching up a backlog) must not run
 * ahead of apply without bound: apply shares the event loop with it, and the target would sit idle
 * until capture had read everything. Capture waits for the apply batch in flight once it is a lead
 * ahead, and never waits when no batch runs (a paused target keeps capture going, as before).
 */

const REFUSED = 'connect ECONNREFUSED 127.0.0.1:5432';
const LEAD = 2_500; // above the engine's lead, below its inbox bound
const engines: FlowEngine[] = [];
const gates: Array<() => void> = [];
afterEach(async () => {
  for (const open of gates.splice(0)) open();
  for (const e of engines.splice(0)) await e.stop();
});

function setup() {
  const crm = new MemorySystem('crm', () => Date.now(), true);
  const billing = new MemorySystem('billing', () => Date.now(), true);
  const store = new Store(openStoreDatabase(':memory:'));
  let captureCtx: CaptureContext | null = null;
  const crmConnector: Connector = {
    ...crm.connector(crmEntities),
    async startCapture(ctx) {
      captureCtx = ctx;
      return { stop: async () => {} };
    },
  };
  // Billing writes wait at a gate while one is set, as a target busy with a large write would.
  let gate: Promise<void> | null = null;
  let writesStarted = 0;
  const billingConnector = billing.connector(billingEntities);
  const write = billingConnector.write.bind(billingConnector);
  billingConnector.write = async (entity, ops, origin) => {
    writesStarted++;
    if (gate) await gate;
    return write(entity, ops, origin);
  };
  const engine = new FlowEngine({
    store,
    flow: testFlow(),
    connectors: new Map([
      ['crm', crmConnector],
      ['billing', billingConnector],
    ]),
    entities: new Map([
      ['crm', crmEntities],
      ['billing', billingEntities],
    ]),
  });
  engines.push(engine);
  let delivered = 0;
  const addAndTake = (n: number) => {
    for (let i = delivered; i < delivered + n; i++) crm.userUpsert('contacts', `c${i}`, { email: `u${i}@x.io`, name: `N ${i}`, plan: 'p' });
    const changes = crm.changesSince(delivered, n);
    delivered += n;
    return { changes, checkpoint: String(delivered) };
  };
  const closeGate = (): (() => void) => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    const release = () => {
      gate = null;
      open();
    };
    gates.push(release);
    return release;
  };
  return { engine, store, billing, sink: () => captureCtx!.sink, addAndTake, closeGate, writesStarted: () => writesStarted };
}

const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  const end = Date.now() + ms;
  while (!done && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return done;
};

describe('capture keeps pace with apply', () => {
  it('waits for apply batches while it is a lead ahead of them, then goes on', async () => {
    const t = setup();
    await t.engine.start();
    const release = t.closeGate();
    await t.sink()(t.addAndTake(10));
    await expect.poll(() => t.writesStarted(), { timeout: 5_000 }).toBe(1);
    // A batch is writing: capture commits what it read (nothing lost), then waits for that batch.
    const held = t.sink()(t.addAndTake(LEAD));
    let appliedWhenLetGo = -1;
    void held.then(() => (appliedWhenLetGo = t.billing.table('customers').size));
    expect(await settledWithin(held, 300)).toBe(false);
    expect(t.store.inbox.pending('f1')).toBe(10 + LEAD);
    release();
    expect(await settledWithin(held, 5_000)).toBe(true);
    // The first batch (10 rows) left it still a lead ahead; the next one (1,000 rows) did not.
    expect(appliedWhenLetGo).toBe(10 + 1_000);
    await expect.poll(() => t.store.inbox.pending('f1'), { timeout: 10_000 }).toBe(0);
    expect(t.billing.table('customers').size).toBe(10 + LEAD);
  });

  it('is not held while no batch runs: a paused target leaves capture going', async () => {
    const t = setup();
    await t.engine.start();
    t.billing.down = REFUSED;
    for (let i = 0; i < 3; i++) expect(await settledWithin(t.sink()(t.addAndTake(LEAD)), 5_000)).toBe(true);
    expect(t.store.inbox.pending('f1')).toBe(3 * LEAD);
    expect(t.billing.table('customers').size).toBe(0);
  });
});
