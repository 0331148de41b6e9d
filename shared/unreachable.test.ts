import { describe, expect, it } from 'vitest';
import { clockTime, unreachableText } from './unreachable.js';

describe('unreachableText', () => {
  const since = new Date(2026, 11, 7, 12, 1, 30).getTime();

  it('says since when (local clock time) and in how many whole seconds the next try is', () => {
    expect(unreachableText('Demo Billing', { since, retryAt: since + 20_000 }, since)).toBe('Demo Billing unreachable since 12:01 — retrying in 20 s');
    // Rounded up: 19.2 s to go still reads 20 s, never "0 s" before the try.
    expect(unreachableText('Demo Billing', { since, retryAt: since + 20_000 }, since + 800)).toBe('Demo Billing unreachable since 12:01 — retrying in 20 s');
    expect(unreachableText('Demo Billing', { since, retryAt: since + 20_000 }, since + 19_500)).toBe('Demo Billing unreachable since 12:01 — retrying in 1 s');
  });

  it('says "retrying now" once the time has come', () => {
    expect(unreachableText('CRM', { since, retryAt: since + 1000 }, since + 1000)).toBe('CRM unreachable since 12:01 — retrying now');
    expect(unreachableText('CRM', { since, retryAt: since + 1000 }, since + 5000)).toBe('CRM unreachable since 12:01 — retrying now');
  });

  it('pads hours and minutes', () => {
    expect(clockTime(new Date(2026, 0, 1, 7, 5).getTime())).toBe('07:05');
    expect(clockTime(new Date(2026, 0, 1, 0, 0).getTime())).toBe('00:00');
  });
});
