import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, bucketValue, LagHistogram } from './lag-histogram.js';

const GROWTH = 1.09;

function histogramOf(values: number[]): LagHistogram {
  const h = new LagHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** Nearest-rank percentile, the definition the histogram approximates. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

const lags = fc.array(fc.double({ min: 0.2, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 300 });

describe('LagHistogram', () => {
  it('reports percentiles within one bucket width of the exact value, never below it', () => {
    fc.assert(
      fc.property(lags, fc.integer({ min: 1, max: 100 }), (values, p) => {
        const exact = exactPercentile(values, p);
        const got = histogramOf(values).percentile(p)!;
        // 0.005: the reported value is rounded to 0.01 ms.
        expect(got).toBeGreaterThanOrEqual(exact - 0.005);
        expect(got).toBeLessThanOrEqual(exact * GROWTH + 0.005);
      }),
      { numRuns: 300 },
    );
  });

  it('reports p50/p95/p99 of a known distribution', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms
    const h = histogramOf(values);
    for (const [p, exact] of [[50, 500], [95, 950], [99, 990]] as const) {
      const got = h.percentile(p)!;
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got).toBeLessThanOrEqual(exact * GROWTH);
    }
  });

  it('has no percentile when empty', () => {
    expect(new LagHistogram().percentile(50)).toBeNull();
  });

  it('merging adds up: the merge of two histograms equals the histogram of all values', () => {
    fc.assert(
      fc.property(lags, lags, (a, b) => {
        const merged = histogramOf(a);
        merged.merge(histogramOf(b));
        const all = histogramOf([...a, ...b]);
        expect(merged.total).toBe(a.length + b.length);
        expect(Object.fromEntries(merged.counts)).toEqual(Object.fromEntries(all.counts));
        for (const p of [50, 95, 99]) expect(merged.percentile(p)).toBe(all.percentile(p));
      }),
      { numRuns: 100 },
    );
  });

  it('survives a JSON round trip (how the store keeps it)', () => {
    const h = histogramOf([1, 2, 2, 50, 900, 12_000]);
    const back = LagHistogram.fromJSON(JSON.stringify(h.toJSON()));
    expect(back.total).toBe(6);
    expect(back.percentile(50)).toBe(h.percentile(50));
    expect(back.percentile(99)).toBe(h.percentile(99));
    expect(LagHistogram.fromJSON(null).total).toBe(0);
  });

  it('puts zero, negative and huge lags into the edge buckets', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(Number.NaN)).toBe(0);
    expect(bucketOf(1e12)).toBe(BUCKETS - 1);
    expect(bucketValue(bucketOf(1000))).toBeGreaterThanOrEqual(1000);
  });
});
