import { describe, expect, it } from 'vitest';
import { conflictFields, formatValue, parseEditedFields, waitingText } from './format.js';

describe('DLQ formatting', () => {
  it('shows empty and structured values readably', () => {
    expect(formatValue(null)).toBe('∅');
    expect(formatValue('')).toBe('""');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    expect(formatValue({ $dec: '123456789012345678901234567890' })).toBe('123456789012345678901234567890');
    expect(formatValue({ $json: 'null' })).toBe('null');
    expect(formatValue({ $pg: 'float8', text: 'NaN' })).toBe('NaN');
    expect(formatValue({ $blob: '0AFF' })).toBe('\\x0aff');
  });

  it('says how many later changes of the record wait behind an entry', () => {
    expect(waitingText({ waitingBehind: 3 })).toBe('3 later changes are waiting behind this one');
    expect(waitingText({ waitingBehind: 1 })).toBe('1 later change is waiting behind this one');
    expect(waitingText({ waitingBehind: 0 })).toBeNull();
    expect(waitingText({})).toBeNull();
  });

  it('parses edited fields or says what to fix', () => {
    expect(parseEditedFields('{"x": 1}')).toEqual({ ok: true, fields: { x: 1 } });
    expect(parseEditedFields('[1]')).toMatchObject({ ok: false, message: expect.stringContaining('object') });
    expect(parseEditedFields('{')).toMatchObject({ ok: false, message: expect.stringContaining('not valid JSON') });
  });

  it('reads conflict detail defensively', () => {
    const base = { detail: { conflicts: [{ a: 'plan', b: 'plan_code', aValue: 'Pro', bValue: 'basic' }, 'junk'] } };
    expect(conflictFields(base as never)).toEqual([{ a: 'plan', b: 'plan_code', aValue: 'Pro', bValue: 'basic' }]);
    expect(conflictFields({ detail: null } as never)).toEqual([]);
  });
});

describe('parseEditedFields keeps numbers exact', () => {
  it('refuses a number a double would round, saying how to write it, and accepts it as an exact value', () => {
    expect(parseEditedFields('{"id": 123456789012345678901234567890}')).toEqual({ ok: false, message: expect.stringContaining('{"$dec": "123456789012345678901234567890"}') });
    expect(parseEditedFields('{"id": {"$dec": "123456789012345678901234567890"}, "phone": "12345678901234567890"}')).toEqual({ ok: true, fields: { id: { $dec: '123456789012345678901234567890' }, phone: '12345678901234567890' } });
    expect(parseEditedFields('{"ratio": 0.1, "n": 9007199254740991}')).toMatchObject({ ok: true });
  });
});
