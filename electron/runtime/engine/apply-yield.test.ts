import { describe, expect, it } from 'vitest';
import { QUIET_MS, applyWaitMs } from './apply-yield.js';

describe('applyWaitMs', () => {
  it('goes at once when no sender waits on a recent commit', () => {
    expect(applyWaitMs(1_000, -Infinity, 1_000, 20)).toBe(0);
    expect(applyWaitMs(1_000, 1_000 - QUIET_MS, 1_000, 20)).toBe(0);
    expect(applyWaitMs(1_000, 500, 1_000, 20)).toBe(0);
  });

  it('waits for the quiet moment after a recent answered commit', () => {
    expect(applyWaitMs(1_000, 999.5, 1_000, 20)).toBe(1.5);
    // Never less than a timer's 1 ms.
    expect(applyWaitMs(1_000, 998.5, 1_000, 20)).toBe(1);
  });

  it('never waits past the yield limit, however busy the traffic', () => {
    expect(applyWaitMs(1_019, 1_019, 1_000, 20)).toBe(1);
    expect(applyWaitMs(1_020, 1_020, 1_000, 20)).toBe(0);
    expect(applyWaitMs(1_050, 1_050, 1_000, 20)).toBe(0);
  });

  it('is off with a zero limit', () => {
    expect(applyWaitMs(1_000, 1_000, 1_000, 0)).toBe(0);
  });
});
