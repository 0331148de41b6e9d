import { describe, expect, it } from 'vitest';
import { TransformSchema } from '../../shared/flow/schema.js';
import { describeCron } from './cron-helper.js';
import { allowedOwners, formatValueMap, newTransform, nextOwner, ownersForDirection, parseValueMap, TRANSFORM_TYPES, transformSummary } from './transforms.js';

describe('transforms', () => {
  it('creates a valid transform of every type', () => {
    for (const { type } of TRANSFORM_TYPES) expect(TransformSchema.safeParse(newTransform(type)).success).toBe(true);
    expect(transformSummary({ type: 'phone', defaultCountryCode: '44' })).toBe('phone (+44)');
  });

  it('round-trips a value map and says which line is wrong', () => {
    expect(parseValueMap('Gold = gold\n\nSilver=silver')).toEqual({ ok: true, map: { Gold: 'gold', Silver: 'silver' } });
    expect(parseValueMap('Gold')).toEqual({ ok: false, message: 'line 1: write each mapping as from=to, e.g. Gold=gold' });
    expect(formatValueMap({ a: 'b', c: null })).toBe('a=b\nc=');
  });

  it('cycles owners within what the direction allows', () => {
    expect(allowedOwners('a-to-b')).toEqual(['a']);
    expect(nextOwner('a', 'both')).toBe('b');
    expect(nextOwner('b', 'both')).toBe('shared');
    expect(nextOwner('shared', 'both')).toBe('a');
    expect(ownersForDirection([{ owner: 'b' as const }, { owner: 'a' as const }], 'a-to-b')).toEqual([{ owner: 'a' }, { owner: 'a' }]);
  });
});

describe('cron helper', () => {
  it('describes presets and simple schedules, and explains a wrong one', () => {
    expect(describeCron('*/15 * * * *')).toEqual({ ok: true, text: 'Every 15 minutes' });
    expect(describeCron('30 4 * * *')).toEqual({ ok: true, text: 'Every day at 04:30' });
    expect(describeCron('0 * *')).toMatchObject({ ok: false, message: expect.stringContaining('five fields') });
    expect(describeCron('0 x * * *')).toEqual({ ok: false, message: 'the hour field “x” is not valid' });
  });
});
