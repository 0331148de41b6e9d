import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './backoff.js';

const policy: RetryPolicy = { baseMs: 100, maxMs: 10_000, maxAttempts: 8 };
const low = () => 0;
const high = () => 0.999999;

describe('retryDelay', () => {
  it('doubles per attempt, starting from the base', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, policy, high))).toEqual([1, 2, 3, 4].map((a) => expect.closeTo(100 * 2 ** (a - 1), 0)));
    expect(retryDelay(1, policy, low)).toBe(50);
    expect(retryDelay(3, policy, low)).toBe(200);
  });

  it('never exceeds the maximum, however many attempts', () => {
    expect(retryDelay(50, policy, high)).toBeLessThanOrEqual(10_000);
    expect(retryDelay(5000, policy, high)).toBeLessThanOrEqual(10_000);
    expect(retryDelay(50, policy, low)).toBe(5000);
  });

  it('treats attempt 0 as the first', () => {
    expect(retryDelay(0, policy, low)).toBe(retryDelay(1, policy, low));
  });

  it('jitters within [half, full] of the exponential step', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const exp = Math.min(DEFAULT_RETRY.maxMs, DEFAULT_RETRY.baseMs * 2 ** (attempt - 1));
        const d = retryDelay(attempt, DEFAULT_RETRY, () => r);
        expect(d).toBeGreaterThanOrEqual(exp / 2);
        expect(d).toBeLessThanOrEqual(exp);
      }),
      { numRuns: 300 },
    );
  });

  it('spreads retries: different random draws give different delays', () => {
    expect(retryDelay(3, policy, () => 0.1)).not.toBe(retryDelay(3, policy, () => 0.9));
  });

  it('uses Retry-After as a floor, never shortening it', () => {
    expect(retryDelay(1, policy, high, 30_000)).toBe(30_000);
    expect(retryDelay(4, policy, low, 10)).toBe(400);
  });
});
