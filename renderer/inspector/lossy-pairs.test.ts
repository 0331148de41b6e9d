import { describe, expect, it } from 'vitest';
import { lossyPairs } from './lossy-pairs.js';

const f = (name: string, type: string, nativeType: string) => ({ name, type, nativeType, nullable: true, primaryKey: false });

describe('lossyPairs', () => {
  const fields = {
    a: [f('amount', 'number', 'numeric'), f('at', 'datetime', 'timestamp with time zone'), f('note', 'string', 'text')],
    b: [f('amount', 'number', 'double precision'), f('at', 'datetime', 'timestamp without time zone'), f('note', 'string', 'text')],
  };
  const names = { a: 'Orders', b: 'Ledger' };
  const kinds = { a: 'postgres', b: 'postgres' };

  it('names each pair the target would change without an error, and why', () => {
    const pairs = lossyPairs({ direction: 'a-to-b', fields: [{ a: 'amount', b: 'amount', owner: 'a', toA: [], toB: [] }, { a: 'at', b: 'at', owner: 'a', toA: [], toB: [] }, { a: 'note', b: 'note', owner: 'a', toA: [], toB: [] }] as never }, kinds, names, fields);
    expect(pairs.map((p) => [p.from, p.to])).toEqual([
      ['Orders amount (numeric)', 'Ledger amount (double precision)'],
      ['Orders at (timestamp with time zone)', 'Ledger at (timestamp without time zone)'],
    ]);
    expect(pairs[1]!.why).toContain('time zone');
  });

  it('skips pairs a transform changes on purpose and fields the other side owns', () => {
    expect(lossyPairs({ direction: 'a-to-b', fields: [{ a: 'amount', b: 'amount', owner: 'a', toA: [], toB: [{ type: 'trim' }] }, { a: 'at', b: 'at', owner: 'b', toA: [], toB: [] }] as never }, kinds, names, fields)).toEqual([]);
  });
});
