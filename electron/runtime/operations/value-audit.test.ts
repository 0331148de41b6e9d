import { describe, expect, it } from 'vitest';
import { testFlow } from '../engine/test-support/flows.js';
import { auditContactValues } from './value-audit.js';

describe('auditContactValues', () => {
  it('flags emails without a domain and phone numbers with the wrong number of digits', () => {
    const sync = testFlow({
      fields: [
        { a: 'email', b: 'contact_email', owner: 'a', toA: [], toB: [], required: false },
        { a: 'mobile', b: 'phone_number', owner: 'a', toA: [], toB: [], required: false },
        { a: 'name', b: 'full_name', owner: 'a', toA: [], toB: [], required: false },
      ],
    }).syncs[0]!;
    const samples = [
      { key: '1', fields: { email: 'ann@example.com', mobile: '+1 (415) 555-0101', name: 'no@t' } },
      { key: '2', fields: { email: 'bob@example', mobile: '555-01', name: 'Bob' } },
      { key: '3', fields: { email: 'carol example.com', mobile: 'call me', name: 'Carol' } },
      { key: '4', fields: { email: '', mobile: null, name: 'Dan' } },
      { key: '5', fields: { email: 'eve@example.org', mobile: '415 555 0199 ext 12', name: 'Eve' } },
    ];
    expect(auditContactValues(sync, 'a', samples)).toEqual({
      invalidEmails: [
        { key: '2', field: 'email', value: 'bob@example' },
        { key: '3', field: 'email', value: 'carol example.com' },
      ],
      invalidPhones: [
        { key: '2', field: 'mobile', value: '555-01' },
        { key: '3', field: 'mobile', value: 'call me' },
      ],
    });
  });
});
