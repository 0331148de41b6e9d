import { describe, expect, it } from 'vitest';
import { detectEntity } from './sample-request.js';

describe('detectEntity', () => {
  it('finds the records under a key, their fields with types, and the key', () => {
    const body = {
      data: [
        { id: 7, email: 'zoë@example.com', score: 1.5, active: true, joined: '2024-05-01T10:00:00Z', born: '1990-02-03', tags: ['a'], note: null },
        { id: 8, email: 'li@example.com', score: 2, active: false, joined: '2024-05-02T10:00:00Z', born: '1991-02-03', tags: [], note: 'hi', extra: 'only here' },
      ],
      has_more: false,
    };
    const e = detectEntity(body, '/api/v2/members?limit=100');
    expect(e).toMatchObject({ name: 'members', recordsPath: 'data', primaryKey: 'id', count: 2 });
    expect(Object.fromEntries(e.fields.map((f) => [f.name, f.type]))).toEqual({
      id: 'integer',
      email: 'string',
      score: 'number',
      active: 'boolean',
      joined: 'datetime',
      born: 'date',
      tags: 'json',
      note: 'string',
      extra: 'string',
    });
  });

  it('reads a bare array and a list two levels down; a key named like customer_id when there is no id', () => {
    expect(detectEntity([{ customer_id: 'c1', name: 'A' }], '/customers')).toMatchObject({ recordsPath: '', primaryKey: 'customer_id', name: 'customers' });
    expect(detectEntity({ result: { items: [{ sku: 'x', qty: 1 }] } }, '/shops/{shop}/v1/inventory.json')).toMatchObject({ recordsPath: 'result.items', primaryKey: 'sku', name: 'inventory_json' });
  });

  it('says what to change when the answer holds no list of records', () => {
    expect(() => detectEntity({ ok: true, count: 3 }, '/status')).toThrow(/holds no list of records.*use the address that lists the records/);
    expect(() => detectEntity({ data: [] }, '/empty')).toThrow(/no list of records/);
  });
});
