import { describe, expect, it } from 'vitest';
import type { MetricPoint, SyncStatus } from '../../shared/api/contract.js';
import { linePath, niceMax } from './chart-geometry.js';
import { breaches, currentValues, deriveSeries, newBreaches } from './edge-metrics.js';

const point = (t: number, p: Partial<MetricPoint> = {}): MetricPoint => ({ t, events: 0, errors: 0, conflicts: 0, echoes: 0, lagP50: null, lagP99: null, dlqDepth: 0, ...p });
const status = (p99: number, dlq: number): SyncStatus => ({
  syncId: 's',
  health: 'healthy',
  tombstoneTtlMs: 0,
  unknownFields: [],
  directions: [{ direction: 'a-to-b', lagMs: { p50: 1, p95: 1, p99 }, eventsPerSec: 0, applied: 0, errors: 0, conflicts: 0, echoesSuppressed: 0, ownershipViolations: 0, tombstones: 0, pending: 0, dlqDepth: dlq, lastAppliedAt: null }],
});

describe('chart geometry', () => {
  it('picks nice axis maxima', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3.2)).toBe(5);
    expect(niceMax(120)).toBe(200);
  });

  it('draws lines that break at missing values', () => {
    const box = { width: 110, height: 60, pad: { top: 0, right: 0, bottom: 10, left: 10 } };
    expect(linePath([{ t: 0, v: 0 }, { t: 50, v: 10 }, { t: 75, v: null }, { t: 100, v: 5 }], 0, 100, 10, box)).toBe('M10.0,50.0L60.0,0.0M110.0,25.0');
  });
});

describe('edge metrics and alerts', () => {
  it('turns 5 s buckets into rates; errors and conflicts are counted over the last minute, not extrapolated', () => {
    const d = deriveSeries([point(0, { events: 10, errors: 1, conflicts: 2, lagP99: 40 })]);
    expect(d.eventsPerSec[0]!.v).toBe(2);
    // One failed record is one error per minute (it once showed as 12: one 5 s bucket × 12).
    expect(d.errorsPerMin[0]!.v).toBe(1);
    expect(d.conflictsPerMin[0]!.v).toBe(2);
    expect(d.lagP99[0]!.v).toBe(40);
    const later = deriveSeries([point(0, { errors: 1 }), point(30_000, { errors: 2 }), point(65_000, {})]);
    expect(later.errorsPerMin.map((p) => p.v)).toEqual([1, 3, 2]);
  });

  it('legends say what holds now: an idle edge has no lag or rate, and only the last minute\'s errors', () => {
    const pts = [point(0, { events: 5, errors: 1, conflicts: 1, lagP50: 20, lagP99: 89_000, dlqDepth: 2 }), point(30_000, { events: 10, errors: 2, lagP50: 30, lagP99: 50, dlqDepth: 2 })];
    // Busy: the last bucket's lag and rate; errors and conflicts of the minute up to now.
    expect(currentValues(pts, 35_000)).toEqual({ lagP50: 30, lagP99: 50, eventsPerSec: 2, errorsPerMin: 3, conflictsPerMin: 1, dlqDepth: 2 });
    // Idle for a minute: the last bucket is history, not the present (it once stayed on show).
    expect(currentValues(pts, 30_000 + 61_000)).toEqual({ lagP50: null, lagP99: null, eventsPerSec: 0, errorsPerMin: 0, conflictsPerMin: 0, dlqDepth: 2 });
    // A bucket without applied changes (only an error) does not hide the lag measured just before it.
    expect(currentValues([...pts, point(40_000, { errors: 1, dlqDepth: 3 })], 45_000)).toMatchObject({ lagP99: 50, eventsPerSec: 0, errorsPerMin: 4, dlqDepth: 3 });
    expect(currentValues([], 0)).toEqual({ lagP50: null, lagP99: null, eventsPerSec: 0, errorsPerMin: 0, conflictsPerMin: 0, dlqDepth: 0 });
  });

  it('reports each broken threshold once while it lasts', () => {
    const now = 100_000;
    const recent = { 'a-to-b': [point(now - 70_000, { errors: 50 }), point(now - 10_000, { errors: 3 })] };
    const found = breaches('s', 'Edge', { lagP99Ms: 500, errorsPerMin: 2, dlqDepth: 10 }, status(800, 4), recent, now);
    expect(found.map((b) => b.key)).toEqual(['s:lag', 's:errors']);
    expect(found[1]!.message).toContain('3 errors');
    expect(breaches('s', 'Edge', undefined, status(800, 4), recent, now)).toEqual([]);
    // One of a thing reads as one: "1 change", not "1 changes".
    const one = { 'a-to-b': [point(now - 10_000, { errors: 1, conflicts: 1 })] };
    expect(breaches('s', 'Edge', { errorsPerMin: 0, conflictsPerMin: 0, dlqDepth: 0 }, status(10, 1), one, now).map((b) => b.message)).toEqual([
      'Edge: 1 error in the last minute (alert above 0)',
      'Edge: 1 conflict in the last minute (alert above 0)',
      'Edge: 1 change in the DLQ (alert above 0)',
    ]);
    const first = newBreaches(new Set(), found);
    expect(first.fresh).toHaveLength(2);
    const again = newBreaches(first.active, found);
    expect(again.fresh).toEqual([]);
    const cleared = newBreaches(again.active, []);
    expect(newBreaches(cleared.active, found).fresh).toHaveLength(2);
  });
});
