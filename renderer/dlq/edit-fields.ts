import { formatValue } from './format.js';

/** What a field's input box starts with: the value as the user knows it; empty for no value. */
export function inputText(v: unknown): string {
  return v === null || v === undefined ? '' : formatValue(v);
}

/**
 * The value a field's edited text stands for, of the kind the field had: a number stays a number
 * (exact digits kept as a decimal when a double would round them, docs/values.md), a string stays a
 * string, an emptied field holds no value. Says what to fix otherwise.
 */
export function valueFromInput(original: unknown, text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text === inputText(original)) return { ok: true, value: original };
  if (text === '') return { ok: true, value: null };
  if (typeof original === 'number' || (typeof original === 'object' && original !== null && '$dec' in original)) {
    const t = text.trim();
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { ok: false, message: `“${text}” is not a number` };
    return { ok: true, value: String(Number(t)) === t ? Number(t) : { $dec: t } };
  }
  if (typeof original === 'boolean') {
    if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
    return { ok: false, message: 'write true or false' };
  }
  return { ok: true, value: text };
}
