import { describe, expect, it } from 'vitest';
import { alertEdgeName } from './edge-name.js';

const systems = [
  { id: 'sqlite-database', name: 'CRM' },
  { id: 'sqlite-database-2', name: 'Billing' },
];

describe('alertEdgeName', () => {
  it('uses the edge name when it has one', () => {
    expect(alertEdgeName({ name: ' Contacts ↔ Customers ', direction: 'both', a: { system: 'sqlite-database', entity: 'contacts' }, b: { system: 'sqlite-database-2', entity: 'customers' } }, systems)).toBe('Contacts ↔ Customers');
  });

  it('names the systems and entities, never the ids, when the edge has no name', () => {
    const name = alertEdgeName({ direction: 'a-to-b', a: { system: 'sqlite-database', entity: 'contacts' }, b: { system: 'sqlite-database-2', entity: 'customers' } }, systems);
    expect(name).toBe('CRM contacts → Billing customers');
    expect(name).not.toContain('sqlite-database');
  });

  it('says so when a system has no name rather than showing its id', () => {
    expect(alertEdgeName({ name: '', direction: 'both', a: { system: 'x1', entity: 'orders' }, b: { system: 'sqlite-database-2', entity: '' } }, systems)).toBe('an unnamed system orders ↔ Billing');
  });
});
