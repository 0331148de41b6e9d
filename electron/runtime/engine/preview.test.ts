import { describe, expect, it } from 'vitest';
import { previewSync } from './preview.js';
import { testFlow } from './test-support/flows.js';

const sync = testFlow().syncs[0]!;
const run = (samples: { key: string; fields: Record<string, unknown> }[], targets: { key: string; fields: Record<string, unknown> }[] = []) =>
  previewSync({ sync, direction: 'a-to-b', samples, targets, links: new Map(), targetFields: null, now: 1_000 });

describe('previewSync', () => {
  it('flags two source records with one match value as duplicates, not as two creates', () => {
    const result = run([
      { key: 'c1', fields: { id: 'c1', email: 'Ann@Example.com', name: 'Ann' } },
      { key: 'c2', fields: { id: 'c2', email: ' ann@example.com', name: 'Ann Twin' } },
      { key: 'c3', fields: { id: 'c3', email: 'bob@example.com', name: 'Bob' } },
    ]);
    expect(result.rows.map((r) => [r.sourceKey, r.action])).toEqual([
      ['c1', 'invalid'],
      ['c2', 'invalid'],
      ['c3', 'create'],
    ]);
    expect(result.rows[0]!.reason).toBe('duplicate: 2 contacts records share email "ann@example.com" — merge them first, or only one reaches the target');
  });

  it('pairs duplicates that already have a record on the other side as usual', () => {
    const result = run(
      [
        { key: 'c1', fields: { id: 'c1', email: 'ann@example.com', name: 'Ann' } },
        { key: 'c2', fields: { id: 'c2', email: 'ann@example.com', name: 'Ann' } },
      ],
      [{ key: 'b1', fields: { id: 'b1', contact_email: 'ann@example.com', full_name: 'Ann' } }],
    );
    expect(result.rows.map((r) => r.action)).toEqual(['no-op', 'no-op']);
  });

  it('names each record by its fields, not only its key', () => {
    const result = run([{ key: 'c7', fields: { id: 'c7', email: 'eve@example.com', name: 'Eve Adams' } }]);
    expect(result.rows[0]).toMatchObject({ sourceKey: 'c7', label: 'Eve Adams' });
  });
});

describe('previewSync and the target’s allowed values', () => {
  it('shows a value the target does not allow as Invalid, saying which values it allows', () => {
    const targetFields = new Map([
      ['contact_email', { name: 'contact_email', type: 'string' as const, nullable: true, primaryKey: false }],
      ['full_name', { name: 'full_name', type: 'string' as const, nullable: true, primaryKey: false, allowedValues: ['Ann', 'Bob'] }],
    ]);
    const result = previewSync({
      sync,
      direction: 'a-to-b',
      samples: [
        { key: 'c1', fields: { id: 'c1', email: 'ann@example.com', name: 'Ann' } },
        { key: 'c2', fields: { id: 'c2', email: 'eve@example.com', name: 'Eve' } },
      ],
      targets: [],
      links: new Map(),
      targetFields,
      now: 1_000,
    });
    expect(result.rows.map((r) => r.action)).toEqual(['create', 'invalid']);
    expect(result.rows[1]!.reason).toBe('full_name: "Eve" is not a value customers allows (Ann, Bob)');
  });
});
