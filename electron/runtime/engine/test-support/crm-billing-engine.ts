import type { FlowDocument } from '../../../../shared/flow/schema.js';
import { openStoreDatabase } from '../../store/database.js';
import { Store } from '../../store/store.js';
import { FlowEngine } from '../flow-engine.js';
import { billingEntities, crmEntities, testFlow } from './flows.js';
import { MemorySystem } from './memory-system.js';

export interface CrmBillingEngine {
  engine: FlowEngine;
  store: Store;
  crm: MemorySystem;
  billing: MemorySystem;
  /** The time both systems and the engine read; a test moves it forward. */
  time: { now: number };
}

/**
 * A real engine and store over the in-memory CRM and Billing systems of the test flow: what most
 * engine tests start from. `step`: the engine's clock moves on by this much at every read, for
 * tests that need every change to get a later time than the one before.
 */
export function crmBillingEngine(opts: { flow?: FlowDocument; store?: Store; step?: number } = {}): CrmBillingEngine {
  const time = { now: 1_000_000 };
  const crm = new MemorySystem('crm', () => time.now, true);
  const billing = new MemorySystem('billing', () => time.now, true);
  const store = opts.store ?? new Store(openStoreDatabase(':memory:'));
  const step = opts.step ?? 0;
  const engine = new FlowEngine({
    store,
    flow: opts.flow ?? testFlow(),
    connectors: new Map([
      ['crm', crm.connector(crmEntities)],
      ['billing', billing.connector(billingEntities)],
    ]),
    entities: new Map([
      ['crm', crmEntities],
      ['billing', billingEntities],
    ]),
    clock: { now: () => (time.now += step) },
    random: () => 0.5,
  });
  return { engine, store, crm, billing, time };
}
