import { describe, expect, it } from 'vitest';
import { autoMapFields, suggestMatchKey, typesCompatible, type DiscoveredField } from './auto-map.js';

const f = (name: string, type = 'TEXT', primaryKey = false): DiscoveredField => ({ name, type, nullable: true, primaryKey });

describe('autoMapFields', () => {
  const crm = [f('id', 'INTEGER', true), f('updated_at', 'INTEGER'), f('email'), f('first_name'), f('last_name'), f('phone'), f('plan'), f('payment_status'), f('notes')];
  const billing = [f('id', 'INTEGER', true), f('updated_at', 'INTEGER'), f('contact_email'), f('given_name'), f('family_name'), f('phone_number'), f('plan_code'), f('status'), f('balance', 'REAL')];

  it('pairs the demo CRM and billing fields by name and synonyms, skipping primary keys and bookkeeping', () => {
    const mapped = autoMapFields(crm, billing, 'both');
    expect(mapped.map((m) => `${m.a}=${m.b}`)).toEqual([
      'email=contact_email',
      'first_name=given_name',
      'last_name=family_name',
      'phone=phone_number',
      'plan=plan_code',
      'payment_status=status',
    ]);
    expect(mapped.every((m) => m.owner === 'a')).toBe(true);
  });

  it('prefers exact names, keeps existing mappings and gives a one-way b → a sync owner b', () => {
    const mapped = autoMapFields([f('Email'), f('email')], [f('email')], 'b-to-a', []);
    expect(mapped).toEqual([{ a: 'email', b: 'email', owner: 'b', toB: [], toA: [], required: false }]);
    const kept = autoMapFields([f('email'), f('name')], [f('email'), f('name')], 'a-to-b', [{ a: 'email', b: 'email', owner: 'a', toB: [{ type: 'trim' }], toA: [], required: true }]);
    expect(kept).toHaveLength(2);
    expect(kept[0]!.toB).toEqual([{ type: 'trim' }]);
  });

  it('does not pair fields whose types cannot carry each other', () => {
    expect(autoMapFields([f('active', 'BOOLEAN')], [f('active', 'INTEGER')], 'both')).toEqual([]);
    expect(typesCompatible('INTEGER', 'TEXT')).toBe(true);
    expect(typesCompatible('REAL', 'bigint')).toBe(true);
  });

  it('suggests the email pair as match key', () => {
    expect(suggestMatchKey(autoMapFields(crm, billing, 'both'))).toEqual({ a: 'email', b: 'contact_email' });
    expect(suggestMatchKey([])).toBeNull();
  });
});
