import { describe, expect, it } from 'vitest';
import { storedDifference } from './stored-value.js';

describe('storedDifference', () => {
  it('says nothing when the target stores what was sent', () => {
    expect(storedDifference('Ada', "'Ada' (text)")).toBeNull();
    expect(storedDifference("O'Brien", "'O''Brien' (text)")).toBeNull();
    expect(storedDifference(42, '42 (integer)')).toBeNull();
    expect(storedDifference(1.5, '1.5 (real)')).toBeNull();
    expect(storedDifference({ $dec: '12345678901234567890.5' }, '12345678901234567890.5')).toBeNull();
    expect(storedDifference(null, 'NULL')).toBeNull();
    expect(storedDifference('x', undefined)).toBeNull();
  });

  it('shows the stored form when the value reads differently there', () => {
    expect(storedDifference(1, '1.0 (real)')).toBe('1.0 (real)');
    expect(storedDifference({ $dec: '12345678901234567890.123456789' }, '1.2345678901234567e+19')).toBe('1.2345678901234567e+19');
    expect(storedDifference('2024-01-01T10:00:00+02:00', '2024-01-01 08:00:00+00')).toBe('2024-01-01 08:00:00+00');
    expect(storedDifference('', 'NULL')).toBe('NULL');
  });
});
