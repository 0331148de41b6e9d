import { describe, expect, it } from 'vitest';
import { recordDisplayName } from './display-name.js';

describe('recordDisplayName', () => {
  it('joins first and last names, whatever the schema calls them', () => {
    expect(recordDisplayName({ id: 2, first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' })).toBe('Ada Lovelace');
    expect(recordDisplayName({ id: 2, given_name: 'Ada', family_name: null, contact_email: 'ada@example.com' })).toBe('Ada');
    expect(recordDisplayName({ FirstName: 'Grace', LastName: 'Hopper' })).toBe('Grace Hopper');
  });

  it('falls back to a name, a title, then an email', () => {
    expect(recordDisplayName({ id: 'T-1', subject: 'Printer on fire' })).toBe('Printer on fire');
    expect(recordDisplayName({ id: 9, contact_email: 'x@y.org', phone: '1' })).toBe('x@y.org');
  });

  it('gives null rather than a blank or a number', () => {
    expect(recordDisplayName({ id: 3, name: '   ', qty: 5 })).toBeNull();
    expect(recordDisplayName(null)).toBeNull();
  });
});
