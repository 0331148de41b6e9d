import { describe, expect, it } from 'vitest';
import type { DirectionStats } from '../../../shared/api/contract.js';
import { edgeHealth } from '../operations/flow-status.js';
import { MetricsRecorder } from './metrics-recorder.js';

const dir = (p: Partial<DirectionStats> = {}): DirectionStats => ({
  direction: 'a-to-b',
  lagMs: { p50: 20, p95: 40, p99: 50 },
  eventsPerSec: 1,
  applied: 100,
  errors: 2,
  conflicts: 0,
  echoesSuppressed: 0,
  ownershipViolations: 0,
  tombstones: 0,
  pending: 0,
  dlqDepth: 2,
  lastAppliedAt: 1,
  ...p,
});

describe('edge health', () => {
  it('records parked in the DLQ while changes keep applying: healthy, not failing', () => {
    expect(edgeHealth([dir()], true, [{ errors: 0, events: 12 }])).toBe('healthy');
    expect(edgeHealth([dir()], true, [{ errors: 1, events: 12 }])).toBe('healthy');
  });

  it('failing when changes failed in the last minute and none got through', () => {
    expect(edgeHealth([dir()], true, [{ errors: 3, events: 0 }])).toBe('failing');
    expect(edgeHealth([dir()], false, [{ errors: 3, events: 0 }])).toBe('idle');
  });

  it('lagging on a slow p95 or a backlog', () => {
    expect(edgeHealth([dir({ lagMs: { p50: 1, p95: 20_000, p99: 30_000 } })], true, [{ errors: 0, events: 5 }])).toBe('lagging');
  });
});

describe('lag metrics', () => {
  it('a replayed change counts as applied but not as lag (its age is not delay)', () => {
    const m = new MetricsRecorder();
    m.applied('s', 'a-to-b', 10_000, null);
    expect(m.live('s', 'a-to-b', 10_000)).toMatchObject({ lag: { p99: null } });
    expect(m.recent('s', 'a-to-b', 10_000)).toEqual({ errors: 0, events: 1 });
    m.applied('s', 'a-to-b', 10_000, 30);
    expect(m.live('s', 'a-to-b', 10_000).lag.p99).toBeGreaterThan(0);
    expect(m.live('s', 'a-to-b', 10_000).lag.p99).toBeLessThan(100);
  });
});
