import { describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema, type FlowDocument } from '../../../shared/flow/schema.js';
import { placesInOtherFlows } from './places-in-other-flows.js';
import { systemPlace } from './system-place.js';

type System = { id: string; name: string; kind: string; config: Record<string, unknown> };
const flow = (id: string, systems: System[], syncs: { id: string; a: [string, string]; b: [string, string]; direction?: 'a-to-b' | 'b-to-a' | 'both' }[]): FlowDocument =>
  FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id,
    name: id === 'demo' ? 'Demo: CRM ↔ Billing' : `Flow ${id}`,
    systems,
    syncs: syncs.map((s) => ({
      id: s.id,
      a: { system: s.a[0], entity: s.a[1] },
      b: { system: s.b[0], entity: s.b[1] },
      direction: s.direction ?? 'a-to-b',
      matchKey: { a: 'email', b: 'email', normalize: 'exact' },
      fields: [{ a: 'email', b: 'email', owner: s.direction === 'b-to-a' ? 'b' : 'a' }],
    })),
  });

const DATA = '/home/ann/.synccanvas/data';
const HOME = '/home/ann';
const sqlite = (id: string, name: string, path: string): System => ({ id, name, kind: 'sqlite', config: { path } });

describe('where a system lives', () => {
  it('resolves a SQLite file however it is written, and tells apart what differs', () => {
    const place = (config: Record<string, unknown>, kind = 'sqlite') => systemPlace({ kind, config }, DATA, HOME);
    expect(place({ path: 'crm.db' })).toBe(place({ path: `${DATA}/crm.db` }));
    expect(place({ path: '~/Documents/crm.db' })).toBe(place({ path: '/home/ann/Documents/../Documents/crm.db' }));
    expect(place({ path: 'crm.db' })).not.toBe(place({ path: 'billing.db' }));
    expect(place({ host: 'LOCALHOST', port: 5432, database: 'crm' }, 'postgres')).toBe(place({ host: '127.0.0.1', database: 'crm' }, 'postgres'));
    expect(place({ host: 'db', port: 5432, database: 'crm' }, 'postgres')).not.toBe(place({ host: 'db', port: 5433, database: 'crm' }, 'postgres'));
    expect(place({ url: 'redis://u:secret@Cache:6379/' }, 'redis-streams')).toBe(place({ url: 'redis://cache:6379' }, 'redis-streams'));
    expect(place({ url: 'redis://cache:6379', keyPrefix: 'a:' }, 'redis-streams')).not.toBe(place({ url: 'redis://cache:6379', keyPrefix: 'b:' }, 'redis-streams'));
  });
});

describe('tables another flow of the workspace also syncs', () => {
  const demo = flow('demo', [sqlite('crm', 'CRM', 'crm.db'), sqlite('billing', 'Billing', 'billing.db')], [{ id: 'contacts', a: ['crm', 'contacts'], b: ['billing', 'customers'], direction: 'both' }]);

  it('names the other flow and the table when both flows write into it, whatever the systems are called', () => {
    const mine = flow('mine', [sqlite('my-crm', 'My CRM', `${DATA}/crm.db`), sqlite('support', 'Support', 'support.db')], [{ id: 'from-support', a: ['support', 'users'], b: ['my-crm', 'contacts'] }]);
    expect(placesInOtherFlows(mine, [demo, mine], DATA, HOME)).toEqual([
      {
        syncId: 'from-support',
        otherFlowId: 'demo',
        message:
          'My CRM "contacts" is also written by the flow "Demo: CRM ↔ Billing". Each flow would take the other\'s writes for a person\'s changes, and neither flow\'s owners would decide: the two could overwrite each other. Sync this table in one flow only: delete one of the two flows, or point this sync at another table.',
      },
    ]);
    expect(placesInOtherFlows(demo, [mine], DATA, HOME).map((f) => f.message)).toEqual([expect.stringContaining('CRM "contacts" is also written by the flow "Flow mine".')]);
  });

  it('names the tables changes could go round through: each flow writes what the other reads', () => {
    const there = flow('there', [sqlite('crm', 'CRM', 'crm.db'), sqlite('b', 'Billing', 'billing.db')], [{ id: 'there', a: ['crm', 'contacts'], b: ['b', 'customers'] }]);
    const back = flow('back', [sqlite('crm', 'CRM', 'crm.db'), sqlite('b', 'Billing', 'billing.db')], [{ id: 'back', a: ['b', 'customers'], b: ['crm', 'contacts'] }]);
    const found = placesInOtherFlows(back, [there], DATA, HOME);
    expect(found.map((f) => f.message)).toEqual([
      'Billing "customers" is also synced by the flow "Flow there", and each of the two flows writes into a table the other reads: changes could go round between them. Sync this table in one flow only: delete one of the two flows, or point this sync at another table.',
      'CRM "contacts" is also synced by the flow "Flow there", and each of the two flows writes into a table the other reads: changes could go round between them. Sync this table in one flow only: delete one of the two flows, or point this sync at another table.',
    ]);
  });

  it('lets be: a chain, flows that only read one table, other tables of the file, other files, disabled syncs', () => {
    // The demo writes the CRM's contacts; a flow that reads them on into Support is a chain.
    const onward = flow('onward', [sqlite('crm', 'CRM', 'crm.db'), sqlite('s', 'Support', 'support.db')], [{ id: 'onward', a: ['crm', 'contacts'], b: ['s', 'users'] }]);
    expect(placesInOtherFlows(onward, [demo], DATA, HOME)).toEqual([]);
    expect(placesInOtherFlows(demo, [onward], DATA, HOME)).toEqual([]);
    const fanOut = (id: string, target: string) => flow(id, [sqlite('crm', 'CRM', 'crm.db'), sqlite(target, target, `${target}.db`)], [{ id: `to-${target}`, a: ['crm', 'contacts'], b: [target, 'customers'] }]);
    expect(placesInOtherFlows(fanOut('f1', 'billing'), [fanOut('f2', 'support')], DATA, HOME)).toEqual([]);
    const deals = flow('deals', [sqlite('crm', 'CRM', 'crm.db'), sqlite('b', 'B', 'b.db')], [{ id: 'deals', a: ['b', 'deals'], b: ['crm', 'deals'] }]);
    expect(placesInOtherFlows(deals, [demo], DATA, HOME)).toEqual([]);
    const elsewhere = flow('elsewhere', [sqlite('crm', 'CRM', 'other/crm.db'), sqlite('b', 'B', 'b.db')], [{ id: 's', a: ['b', 'x'], b: ['crm', 'contacts'] }]);
    expect(placesInOtherFlows(elsewhere, [demo], DATA, HOME)).toEqual([]);
    const off = flow('off', [sqlite('crm', 'CRM', 'crm.db'), sqlite('b', 'B', 'b.db')], [{ id: 's', a: ['b', 'x'], b: ['crm', 'contacts'] }]);
    off.syncs[0]!.enabled = false;
    expect(placesInOtherFlows(off, [demo], DATA, HOME)).toEqual([]);
  });

  it('takes a Postgres table without a schema for the one in its first schema', () => {
    const pg = (id: string, entity: string, direction: 'a-to-b' | 'b-to-a') =>
      flow(id, [{ id: 'pg', name: 'Warehouse', kind: 'postgres', config: { host: 'localhost', port: 5432, database: 'wh' } }, sqlite('b', 'B', `${id}.db`)], [{ id: 's', a: ['pg', entity], b: ['b', 'x'], direction }]);
    expect(placesInOtherFlows(pg('p1', 'orders', 'b-to-a'), [pg('p2', 'public.orders', 'b-to-a')], DATA, HOME)).toHaveLength(1);
    expect(placesInOtherFlows(pg('p1', 'orders', 'a-to-b'), [pg('p2', 'public.orders', 'a-to-b')], DATA, HOME)).toEqual([]);
  });
});
