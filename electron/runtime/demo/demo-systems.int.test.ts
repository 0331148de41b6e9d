import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDemoSystems } from './demo-systems.js';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const all = (file: string, sql: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
};

describe('demo systems', () => {
  it('seeds two databases that share most customers under different ids, matched by email', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-demo-'));
    const { crmPath, billingPath, seeded } = ensureDemoSystems(dir);
    expect(seeded).toEqual({ crm: true, billing: true });
    const contacts = all(crmPath, 'SELECT * FROM contacts ORDER BY id');
    const customers = all(billingPath, 'SELECT * FROM customers ORDER BY id');
    expect(contacts).toHaveLength(40);
    expect(customers).toHaveLength(37);

    const norm = (v: unknown) => String(v).trim().toLowerCase();
    const billingByEmail = new Map(customers.map((c) => [norm(c['contact_email']), c]));
    const shared = contacts.filter((c) => billingByEmail.has(norm(c['email'])));
    expect(shared).toHaveLength(34);
    expect(contacts.length - shared.length).toBeGreaterThan(0);
    expect(customers.length - shared.length).toBeGreaterThan(0);
    // same people, different ids, different spellings of the same facts
    for (const c of shared) {
      const b = billingByEmail.get(norm(c['email']))!;
      expect(b['id']).not.toBe(c['id']);
      expect(b['given_name']).toBe(c['first_name']);
      expect(b['phone_number']).toBe(`+1${String(c['phone']).replace(/\D/g, '')}`);
    }
    expect(customers.some((c) => c['contact_email'] !== norm(c['contact_email']))).toBe(true);
    expect(new Set(contacts.map((c) => norm(c['email']))).size).toBe(40);
  });

  it('is idempotent and never reseeds over what users changed', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-demo-'));
    const first = ensureDemoSystems(dir);
    const db = new Database(first.crmPath);
    db.exec(`DELETE FROM contacts WHERE id = 1; UPDATE contacts SET phone = '(212) 555-0199' WHERE id = 2;`);
    db.close();
    const again = ensureDemoSystems(dir);
    expect(again.seeded).toEqual({ crm: false, billing: false });
    const contacts = all(first.crmPath, 'SELECT id, phone FROM contacts ORDER BY id');
    expect(contacts).toHaveLength(39);
    expect(contacts[0]).toEqual({ id: 2, phone: '(212) 555-0199' });
    expect(all(first.billingPath, 'SELECT count(*) AS n FROM customers')[0]).toEqual({ n: 37 });
  });
});
