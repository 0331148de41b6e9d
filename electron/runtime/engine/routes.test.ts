import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema, type SyncEdge } from '../../../shared/flow/schema.js';
import { buildRoutes, readyTime, routesKey, tombstoneTtlMs } from './routes.js';
import { testFlow } from './test-support/flows.js';

const DAY = 24 * 60 * 60_000;

function flow() {
  const sync = (id: string, a: [string, string], b: [string, string], direction: string, owner: string, enabled = true) => ({
    id,
    a: { system: a[0], entity: a[1] },
    b: { system: b[0], entity: b[1] },
    direction,
    matchKey: { a: 'id', b: 'id' },
    fields: [{ a: 'id', b: 'id', owner }],
    enabled,
  });
  return FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'f1',
    name: 'Routes',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'memory' },
      { id: 'billing', name: 'Billing', kind: 'memory' },
      { id: 'support', name: 'Support', kind: 'memory' },
    ],
    syncs: [
      sync('two-way', ['crm', 'contacts'], ['billing', 'customers'], 'both', 'shared'),
      sync('back', ['crm', 'deals'], ['billing', 'invoices'], 'b-to-a', 'b'),
      sync('fan-out', ['crm', 'contacts'], ['support', 'users'], 'a-to-b', 'a'),
      sync('off', ['support', 'tickets'], ['crm', 'cases'], 'a-to-b', 'a', false),
    ],
  });
}

describe('buildRoutes', () => {
  it('routes each (system, entity) to the sync directions that read from it', () => {
    const routes = buildRoutes(flow());
    const of = (system: string, entity: string) => (routes.get(routesKey(system, entity)) ?? []).map((r) => `${r.sync.id}:${r.direction}`);
    expect(of('crm', 'contacts')).toEqual(['two-way:a-to-b', 'fan-out:a-to-b']);
    expect(of('billing', 'customers')).toEqual(['two-way:b-to-a']);
    expect(of('billing', 'invoices')).toEqual(['back:b-to-a']);
    // one-way syncs never read from their target side; disabled syncs not at all
    expect(of('crm', 'deals')).toEqual([]);
    expect(of('support', 'users')).toEqual([]);
    expect(of('support', 'tickets')).toEqual([]);
    expect(routes.size).toBe(3);
  });
});

describe('readyTime', () => {
  const withLatency = (latency: unknown): SyncEdge => testFlow({ latency } as Partial<SyncEdge>).syncs[0]!;

  it('applies real-time changes at once', () => {
    expect(readyTime(withLatency({ tier: 'real-time' }), 123_456)).toBe(123_456);
  });

  it('holds near-real-time changes to the end of their tumbling window, so one window shares one ready time', () => {
    const s = withLatency({ tier: 'near-real-time', windowMs: 1000 });
    expect([5000, 5001, 5500, 5999].map((now) => readyTime(s, now))).toEqual([6000, 6000, 6000, 6000]);
    expect(readyTime(s, 6000)).toBe(7000);
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 3_600_000 }), fc.integer({ min: 0, max: 2 ** 42 }), (windowMs, now) => {
        const r = readyTime(withLatency({ tier: 'near-real-time', windowMs }), now);
        expect(r).toBeGreaterThan(now);
        expect(r - now).toBeLessThanOrEqual(windowMs);
        expect(r % windowMs).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('holds batch changes to the next cron run', () => {
    const s = withLatency({ tier: 'batch', cron: '*/15 * * * *' });
    expect(readyTime(s, Date.UTC(2026, 4, 1, 9, 50, 30))).toBe(Date.UTC(2026, 4, 1, 10, 0));
  });
});

describe('tombstoneTtlMs', () => {
  it('keeps tombstones at least a day for syncs without polling', () => {
    expect(tombstoneTtlMs(0)).toBeGreaterThanOrEqual(DAY);
  });

  it('outlives the longest poll plus a buffer of at least a day and at least the poll again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * DAY }), (poll) => {
        const ttl = tombstoneTtlMs(poll);
        expect(ttl).toBeGreaterThanOrEqual(poll + DAY);
        expect(ttl).toBeGreaterThanOrEqual(2 * poll);
      }),
    );
  });
});
