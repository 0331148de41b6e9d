import { describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../store/database.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';

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
    expect(engine.status().systems.find((s) => s.systemId === 'crm')?.capturing).toBe(false);
  });
});
