import { describe, expect, it } from 'vitest';
import { parseLosslessJson } from '../../values/lossless-json.js';
import { EntitySpecSchema } from './format.js';
import { extractRecord } from './record-fields.js';

const accounts = EntitySpecSchema.parse({
  name: 'accounts',
  primaryKey: 'id',
  fields: [
    { name: 'id', type: 'integer', required: true },
    { name: 'balance', type: 'number' },
  ],
});

describe('extractRecord and exact numbers', () => {
  it('keys a record by the digits of an id beyond 2^53 and accepts exact decimals for number fields', () => {
    const raw = parseLosslessJson('{"id":123456789012345678901234567890,"balance":12345678901234567890.123456789}');
    const rec = extractRecord(accounts, raw);
    expect(rec).toMatchObject({ ok: true, key: '123456789012345678901234567890', fields: { balance: { $dec: '12345678901234567890.123456789' } } });
  });

  it('refuses a key that reached it as a double past 2^53 (it may be rounded) instead of keying on "1.2345678901234568e+29"', () => {
    const rec = extractRecord(accounts, JSON.parse('{"id":123456789012345678901234567890}'));
    expect(rec).toEqual({ ok: false, message: expect.stringMatching(/"id" \(its key\) is 1\.2345678901234568e\+29, beyond what a double holds exactly: send it as a string/) });
  });

  it('refuses a fractional decimal for an integer field, showing its digits', () => {
    const rec = extractRecord(accounts, parseLosslessJson('{"id":1,"balance":1,"x":0}'.replace('"id":1', '"id":1.50000000000000000001')));
    expect(rec).toMatchObject({ ok: false, message: expect.stringContaining('"id" must be an integer, got 1.50000000000000000001') });
  });
});
