import { expect, test } from 'vitest';
import { compareLsn, formatLsn, isLsn, parseLsn } from './lsn.js';

test('LSNs parse, print and compare as 64-bit positions', () => {
  expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  expect(formatLsn(parseLsn('00000000/01B86208'))).toBe('0/1B86208');
  expect(compareLsn('0/FFFFFFFF', '1/0')).toBe(-1);
  expect(compareLsn('00000001/00000000', '1/0')).toBe(0);
  expect(isLsn('snapshot:0/1')).toBe(false);
  expect(() => parseLsn('x')).toThrow(/not a Postgres LSN/);
});
