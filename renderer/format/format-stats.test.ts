import { describe, expect, it } from 'vitest';
import { formatAge, formatCount, formatLag, formatRate, NO_VALUE } from './format-stats.js';

describe('formatLag', () => {
  it.each([
    [0, '0 ms'],
    [84.6, '85 ms'],
    [999, '999 ms'],
    [1000, '1.0 s'],
    [1449, '1.4 s'],
    [59_940, '59.9 s'],
    [60_000, '1.0 min'],
    [192_000, '3.2 min'],
    [7_560_000, '2.1 h'],
  ])('%d ms reads as %s', (ms, text) => {
    expect(formatLag(ms)).toBe(text);
  });

  it('shows a dash when there is no sample or the value is nonsense', () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -5]) expect(formatLag(v)).toBe(NO_VALUE);
  });
});

describe('formatCount', () => {
  it('groups thousands and rounds', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(2.6)).toBe('3');
    expect(formatCount(null)).toBe(NO_VALUE);
  });
});

describe('formatRate', () => {
  it('uses one decimal below 10/s and whole numbers above', () => {
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(0.25)).toBe('0.3/s');
    expect(formatRate(9.94)).toBe('9.9/s');
    expect(formatRate(12.6)).toBe('13/s');
    expect(formatRate(1500)).toBe('1,500/s');
    expect(formatRate(undefined)).toBe(NO_VALUE);
  });
});

describe('formatAge', () => {
  const now = 1_700_000_000_000;
  it('reads like a person would say it', () => {
    expect(formatAge(null, now)).toBe('never');
    expect(formatAge(now - 200, now)).toBe('just now');
    expect(formatAge(now + 500, now)).toBe('just now');
    expect(formatAge(now - 12_000, now)).toBe('12 s ago');
    expect(formatAge(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAge(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(formatAge(now - 2 * 86_400_000, now)).toBe('2 d ago');
  });
});

describe('formatDuration', () => {
  it('reads a TTL in the largest sensible unit', async () => {
    const { formatDuration } = await import('./format-stats.js');
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(600_000)).toBe('10 min');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d');
    expect(formatDuration(null)).toBe('—');
  });
});
