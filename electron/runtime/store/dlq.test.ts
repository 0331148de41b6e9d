import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ErrorClass } from '../../../shared/errors.js';
import type { NewDlqEntry } from './dlq.js';
import { Store } from './store.js';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

let n = 0;
function add(p: { flowId?: string; syncId?: string; direction?: DirectionKey; errorClass?: ErrorClass; message?: string; key?: string; at?: number; response?: string | null } = {}): number {
  n++;
  const e: NewDlqEntry = {
    flowId: p.flowId ?? 'f1',
    syncId: p.syncId ?? 's1',
    direction: p.direction ?? 'a-to-b',
    event: { eventId: `ev${n}`, system: 'crm', entity: 'contacts', key: p.key ?? `c${n}`, op: 'upsert', fields: { name: 'Ann' }, sourceTime: 1, captureTime: 2, origin: 'user' },
    sourceSystem: 'crm',
    targetSystem: 'billing',
    errorClass: p.errorClass ?? 'permanent',
    message: p.message ?? 'rejected',
    response: p.response ?? null,
    attempts: 1,
    firstFailedAt: p.at ?? 1000,
    lastFailedAt: p.at ?? 1000,
    payload: { full_name: 'Ann' },
  };
  return store.dlq.add(e);
}

const listIds = (filter: Parameters<Store['dlq']['list']>[0], limit = 100, offset = 0) => store.dlq.list(filter, limit, offset).entries.map((e) => e.id);

describe('DlqRepo', () => {
  it('stores everything needed to understand and replay an entry', () => {
    const id = add({ response: 'x'.repeat(5000) });
    const e = store.dlq.get(id)!;
    expect(e).toMatchObject({ id, flowId: 'f1', syncId: 's1', direction: 'a-to-b', eventId: `ev${n}`, sourceSystem: 'crm', targetSystem: 'billing', entity: 'contacts', errorClass: 'permanent', message: 'rejected', attempts: 1, payload: { full_name: 'Ann' }, detail: null });
    expect(e.event).toMatchObject({ eventId: `ev${n}`, fields: { name: 'Ann' } });
    expect(e.response).toHaveLength(2000);
    expect(store.dlq.get(id + 100)).toBeNull();
  });

  it('lists newest first and filters by class, sync, direction and time', () => {
    const a = add({ errorClass: 'validation', at: 100 });
    const b = add({ errorClass: 'conflict', syncId: 's2', at: 200 });
    const c = add({ errorClass: 'validation', direction: 'b-to-a', at: 300 });
    const d = add({ errorClass: 'transient', flowId: 'f2', at: 400 });
    expect(listIds({})).toEqual([d, c, b, a]);
    expect(listIds({ flowId: 'f1' })).toEqual([c, b, a]);
    expect(listIds({ errorClass: 'validation' })).toEqual([c, a]);
    expect(listIds({ syncId: 's2' })).toEqual([b]);
    expect(listIds({ direction: 'b-to-a' })).toEqual([c]);
    expect(listIds({ since: 200, until: 300 })).toEqual([c, b]);
    expect(listIds({ flowId: 'f1', errorClass: 'validation', direction: 'a-to-b' })).toEqual([a]);
  });

  it('pages with a total that ignores the page', () => {
    const ids = [add(), add(), add(), add(), add()];
    const page = store.dlq.list({}, 2, 1);
    expect(page.total).toBe(5);
    expect(page.entries.map((e) => e.id)).toEqual([ids[3], ids[2]]);
  });

  it('searches message, key and event text, treating % and _ literally', () => {
    const pct = add({ message: 'quota 100% used' });
    const plain = add({ message: 'quota 1000 used' });
    const under = add({ message: 'bad plan_code' });
    const noUnder = add({ message: 'bad planXcode' });
    const byKey = add({ key: 'cust-77' });
    const slash = add({ message: 'path a\\b' });
    expect(listIds({ text: '100%' })).toEqual([pct]);
    expect(listIds({ text: '%' })).toEqual([pct]);
    expect(listIds({ text: 'plan_code' })).toEqual([under]);
    expect(listIds({ text: 'quota' })).toEqual([plain, pct]);
    expect(listIds({ text: 'cust-77' })).toEqual([byKey]);
    expect(listIds({ text: 'a\\b' })).toEqual([slash]);
    expect(listIds({ text: 'QUOTA' })).toEqual([plain, pct]);
    expect(noUnder).toBeGreaterThan(0);
  });

  it('selects by filter oldest first, so replays keep order', () => {
    const a = add({ errorClass: 'validation' });
    add({ errorClass: 'conflict' });
    const c = add({ errorClass: 'validation' });
    expect(store.dlq.select({ filter: { errorClass: 'validation' } }).map((e) => e.id)).toEqual([a, c]);
  });

  it('selects by ids oldest first, skipping unknown ids and other flows', () => {
    const a = add();
    const b = add({ flowId: 'f2' });
    const c = add();
    expect(store.dlq.select({ ids: [c, 9999, a, b], filter: { flowId: 'f1' } }).map((e) => e.id)).toEqual([a, c]);
  });

  it('removes entries and counts depth per edge and per flow', () => {
    const a = add();
    add();
    add({ direction: 'b-to-a' });
    add({ flowId: 'f2' });
    expect(store.dlq.depth('f1', 's1', 'a-to-b')).toBe(2);
    expect(store.dlq.depthOfFlow('f1')).toBe(3);
    expect(store.dlq.remove(a)).toBe(true);
    expect(store.dlq.remove(a)).toBe(false);
    expect(store.dlq.depth('f1', 's1', 'a-to-b')).toBe(1);
  });
});
