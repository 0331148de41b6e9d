import { describe, expect, it } from 'vitest';
import { inputText, valueFromInput } from './edit-fields.js';

describe('edit-and-replay form values', () => {
  it('keeps an untouched value exactly, whatever its kind', () => {
    for (const v of [{ $dec: '12345678901234567890.5' }, 42, null, 'x', true, { $json: '{"a":1}' }]) {
      expect(valueFromInput(v, inputText(v))).toEqual({ ok: true, value: v });
    }
  });

  it('keeps the kind of an edited value', () => {
    expect(valueFromInput('Gold', 'pro')).toEqual({ ok: true, value: 'pro' });
    expect(valueFromInput(3, '4.5')).toEqual({ ok: true, value: 4.5 });
    expect(valueFromInput(3, '12345678901234567890')).toEqual({ ok: true, value: { $dec: '12345678901234567890' } });
    expect(valueFromInput(null, 'now set')).toEqual({ ok: true, value: 'now set' });
    expect(valueFromInput('was set', '')).toEqual({ ok: true, value: null });
    expect(valueFromInput(false, 'true')).toEqual({ ok: true, value: true });
  });

  it('says what to fix instead of sending a wrong kind', () => {
    expect(valueFromInput(3, 'three')).toEqual({ ok: false, message: '“three” is not a number' });
    expect(valueFromInput(true, 'yes')).toEqual({ ok: false, message: 'write true or false' });
  });
});
