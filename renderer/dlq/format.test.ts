import { describe, expect, it } from 'vitest';
import { conflictFields, formatValue, parseEditedFields, waitingText } from './format.js';

describe('DLQ formatting', () => {
  it('shows empty and structured values readably', () => {
    expect(formatValue(null)).toBe('∅');
    expect(formatValue('')).toBe('""');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
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
