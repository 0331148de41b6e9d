import { describe, expect, it } from 'vitest';
import { directionArrow, directionsOf, ownersSummary, syncTitle, tierDetail, tierLabel } from './sync-labels.js';

describe('sync labels', () => {
  it('draws the arrow from the direction', () => {
    expect(directionArrow('a-to-b')).toBe('→');
    expect(directionArrow('b-to-a')).toBe('←');
    expect(directionArrow('both')).toBe('↔');
  });

  it('lists the running directions of an edge', () => {
    expect(directionsOf('both')).toEqual(['a-to-b', 'b-to-a']);
    expect(directionsOf('b-to-a')).toEqual(['b-to-a']);
  });

  it('names the tier, with its parameter in the detail', () => {
    expect(tierLabel({ tier: 'near-real-time', windowMs: 5000 })).toBe('near-real-time');
    expect(tierDetail({ tier: 'real-time' })).toMatch(/^real-time/);
    expect(tierDetail({ tier: 'near-real-time', windowMs: 5000 })).toContain('5 s');
    expect(tierDetail({ tier: 'near-real-time', windowMs: 90_000 })).toContain('1.5 min');
    expect(tierDetail({ tier: 'batch', cron: '*/15 * * * *' })).toContain('*/15 * * * *');
  });

  it("uses the edge's name, or its entity pair", () => {
    const base = { a: { system: 'crm', entity: 'contacts' }, b: { system: 'billing', entity: 'customers' }, direction: 'both' as const };
    expect(syncTitle({ ...base, name: 'Contacts' })).toBe('Contacts');
    expect(syncTitle({ ...base, name: '  ' })).toBe('contacts ↔ customers');
    expect(syncTitle(base)).toBe('contacts ↔ customers');
  });
});

describe('ownersSummary', () => {
  it('counts the owners of the mapped fields in words, shared last', () => {
    const fields = [{ owner: 'a' }, { owner: 'b' }, { owner: 'a' }, { owner: 'shared' }, { owner: 'a' }] as const;
    expect(ownersSummary(fields, 'CRM', 'Billing')).toBe('CRM owns 3 · Billing owns 1 · 1 shared');
    expect(ownersSummary([{ owner: 'b' }], 'CRM', 'Billing')).toBe('Billing owns 1');
    expect(ownersSummary([], 'CRM', 'Billing')).toBe('');
  });
});
