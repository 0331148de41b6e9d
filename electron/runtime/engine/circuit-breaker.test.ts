import { describe, expect, test } from 'vitest';
import { CircuitBreakers } from './circuit-breaker.js';

describe('CircuitBreakers', () => {
  test('a failure opens the breaker until its probe time; a success closes it', () => {
    const b = new CircuitBreakers({ baseMs: 1000, maxMs: 30_000 }, () => 1);
    expect(b.blocked('billing', 0)).toBe(false);
    const o = b.failed('billing', 10_000, 'ECONNREFUSED');
    expect(o).toEqual({ since: 10_000, retryAt: 11_000, failures: 1, message: 'ECONNREFUSED' });
    expect(b.blocked('billing', 10_999)).toBe(true);
    expect(b.blockedSystems(10_999)).toEqual(new Set(['billing']));
    // Probe time: let one batch through.
    expect(b.blocked('billing', 11_000)).toBe(false);
    expect(b.blockedSystems(11_000).size).toBe(0);
    // Other systems are not affected.
    expect(b.blocked('crm', 10_500)).toBe(false);
    expect(b.succeeded('billing')).toEqual(o);
    expect(b.blocked('billing', 10_500)).toBe(false);
    expect(b.anyOpen()).toBe(false);
    expect(b.succeeded('billing')).toBeNull();
    b.failed('billing', 0, 'x');
    b.clear();
    expect(b.anyOpen()).toBe(false);
    expect(b.blocked('billing', 1)).toBe(false);
  });

  test('failed probes back off exponentially up to the cap and keep the start of the outage', () => {
    const b = new CircuitBreakers({ baseMs: 1000, maxMs: 30_000 }, () => 1);
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const o = b.failed('billing', now, `try ${i}`);
      expect(o.since).toBe(0);
      delays.push(o.retryAt - now);
      now = o.retryAt;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(b.outage('billing')?.failures).toBe(8);
    expect(b.outage('billing')?.message).toBe('try 7');
  });

  test('jitter stays between half and the whole delay', () => {
    const low = new CircuitBreakers({ baseMs: 1000, maxMs: 30_000 }, () => 0);
    expect(low.delay(1)).toBe(500);
    expect(low.delay(10)).toBe(15_000);
    const mid = new CircuitBreakers({ baseMs: 1000, maxMs: 30_000 }, () => 0.5);
    expect(mid.delay(3)).toBe(3000);
  });

  test('Retry-After is a floor, but never beyond the cap', () => {
    const b = new CircuitBreakers({ baseMs: 1000, maxMs: 30_000 }, () => 0);
    expect(b.delay(1, 7000)).toBe(7000);
    expect(b.delay(1, 3_600_000)).toBe(30_000);
    expect(b.failed('api', 0, '503', 20_000).retryAt).toBe(20_000);
  });

  test('the next probe is the earliest over all open breakers', () => {
    const b = new CircuitBreakers({ baseMs: 1000, maxMs: 30_000 }, () => 1);
    expect(b.nextProbe()).toBeNull();
    b.failed('a', 0, 'x');
    b.failed('a', 1000, 'x'); // next at 3000
    b.failed('b', 500, 'y'); // next at 1500
    expect(b.nextProbe()).toBe(1500);
    b.succeeded('b');
    expect(b.nextProbe()).toBe(3000);
  });
});
