import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CRM_PAYMENT_LABEL, CRM_PLAN_LABEL, DEMO_PEOPLE, toE164 } from './demo-people.js';

/** The demo's two "outside" systems: plain SQLite files the demo flow syncs. */
export const DEMO_CRM_FILE = 'crm.db';
export const DEMO_BILLING_FILE = 'billing.db';

const CRM_SCHEMA = `
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  email TEXT,
  first_name TEXT,
  last_name TEXT,
  phone TEXT,
  company TEXT,
  plan TEXT,
  payment_status TEXT,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX contacts_email ON contacts(email);
`;

const BILLING_SCHEMA = `
CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  contact_email TEXT,
  given_name TEXT,
  family_name TEXT,
  phone_number TEXT,
  plan_code TEXT,
  status TEXT,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX customers_contact_email ON customers(contact_email);
`;

/** Seed rows carry a fixed time, so two seeded workspaces are identical. */
const SEEDED_AT = Date.parse('2026-11-02T09:00:00.000Z');
const seedTime = (i: number): string => new Date(SEEDED_AT + i * 3_600_000).toISOString();

export interface DemoSystems {
  crmPath: string;
  billingPath: string;
  /** Whether this call created (and seeded) each database; false when it was already there. */
  seeded: { crm: boolean; billing: boolean };
}

/**
 * Creates the two demo databases in `dir` when they are missing, seeded with the same customers under
 * different ids (matched by email). An existing database is left alone, with whatever the user and
 * the simulator did to it. Each is created and seeded in one transaction, so a crash leaves either
 * a complete table or none.
 */
export function ensureDemoSystems(dir: string): DemoSystems {
  fs.mkdirSync(dir, { recursive: true });
  const crmPath = path.join(dir, DEMO_CRM_FILE);
  const billingPath = path.join(dir, DEMO_BILLING_FILE);
  const crm = ensureTable(crmPath, 'contacts', CRM_SCHEMA, (db) => {
    const insert = db.prepare(
      'INSERT INTO contacts (id, email, first_name, last_name, phone, company, plan, payment_status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    DEMO_PEOPLE.filter((p) => p.in !== 'billing').forEach((p, i) => {
      // Leads that never bought anything have no plan yet.
      const customer = p.in === 'both';
      insert.run(i + 1, p.email, p.first, p.last, p.phone, p.company, customer ? CRM_PLAN_LABEL[p.plan] : null, customer ? CRM_PAYMENT_LABEL[p.status] : null, seedTime(i));
    });
  });
  const billing = ensureTable(billingPath, 'customers', BILLING_SCHEMA, (db) => {
    const insert = db.prepare('INSERT INTO customers (id, contact_email, given_name, family_name, phone_number, plan_code, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    // Billing numbered its customers on its own, in signup order (here: by last name), from 1001.
    const customers = DEMO_PEOPLE.filter((p) => p.in !== 'crm').sort((a, b) => a.last.localeCompare(b.last));
    customers.forEach((p, i) => {
      // Some people typed their email with capitals at checkout; the match key ignores case.
      const email = i % 7 === 3 ? p.email.replace(/^./, (c) => c.toUpperCase()).replace(/\.(\w)/, (_, c: string) => `.${c.toUpperCase()}`) : p.email;
      insert.run(1001 + i, email, p.first, p.last, toE164(p.phone), p.plan, p.status, seedTime(i));
    });
  });
  return { crmPath, billingPath, seeded: { crm, billing } };
}

function ensureTable(file: string, table: string, schema: string, seed: (db: Database.Database) => void): boolean {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    return db
      .transaction(() => {
        const exists = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(table) !== undefined;
        if (exists) return false;
        db.exec(schema);
        seed(db);
        return true;
      })
      .immediate();
  } finally {
    db.close();
  }
}
