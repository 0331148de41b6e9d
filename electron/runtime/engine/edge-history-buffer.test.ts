import { describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../store/database.js';
import { HISTORY_PER_EDGE } from '../store/edge-history.js';
import { Store } from '../store/store.js';
import { FlowEngine } from './flow-engine.js';
import { BUCKET_MS } from './metrics-recorder.js';
import { MemorySystem } from './test-support/memory-system.js';
import { billingEntities, crmEntities, testFlow } from './test-support/flows.js';

/**
 * Applied events feed the what-if preview's history. They are written to the store once per metrics
 * bucket rather than in every batch's commit: this checks they are all there when read (flushHistory,
 * the bucket boundary, stop) and that the history stays bounded per edge.
 */
function setup() {
  let now = 1_000_000;
  const crm = new MemorySystem('crm', () => now, true);
  const billing = new MemorySystem('billing', () => now, true);
  const store = new Store(openStoreDatabase(':memory:'));
  const engine = new FlowEngine({
    store,
    flow: testFlow(),
    connectors: new Map([
      ['crm', crm.connector(crmEntities)],
      ['billing', billing.connector(billingEntities)],
    ]),
    clock: { now: () => now },
  });
  let delivered = 0;
  const edit = async (count: number) => {
    for (let i = 0; i < count; i++) crm.userUpsert('contacts', `c${delivered + i}`, { email: `user${delivered + i}@example.com`, name: 'n', plan: 'p' });
    const changes = crm.changesSince(delivered, count);
    delivered += changes.length;
    engine.commitCaptured('crm', { changes, checkpoint: String(delivered) });
    await engine.drainNow();
  };
  const history = () => store.history.list('f1', testFlow().syncs[0]!.id, 10_000);
  return { store, engine, edit, history, advance: (ms: number) => (now += ms) };
}

describe('edge history buffering', () => {
  it('holds applied events in memory until read, then writes them all in order', async () => {
    const { engine, edit, history } = setup();
    // A new engine's first batch starts a metrics bucket, so it is written at once.
    await edit(3);
    expect(history()).toHaveLength(3);
    await edit(2);
    expect(history()).toHaveLength(3);
    engine.flushHistory();
    expect(history().map((h) => h.event.key)).toEqual(['c4', 'c3', 'c2', 'c1', 'c0']);
    engine.flushHistory();
    expect(history()).toHaveLength(5);
  });

  it('writes at the metrics bucket boundary and on stop, keeping at most HISTORY_PER_EDGE per edge', async () => {
    const { engine, edit, history, advance } = setup();
    await edit(HISTORY_PER_EDGE + 20);
    advance(BUCKET_MS);
    await edit(1);
    const written = history();
    expect(written).toHaveLength(HISTORY_PER_EDGE);
    expect(written[0]!.event.key).toBe(`c${HISTORY_PER_EDGE + 20}`);
    await edit(2);
    await engine.start();
    await engine.stop();
    expect(history().slice(0, 2).map((h) => h.event.key)).toEqual([`c${HISTORY_PER_EDGE + 22}`, `c${HISTORY_PER_EDGE + 21}`]);
  });
});
