import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { DemoBillingStatus, DemoPlan } from './demo-people.js';
import { DEMO_BILLING_FILE, DEMO_CRM_FILE } from './demo-systems.js';

/*
 * Plays the outside users of the demo: CRM staff edit names and phones, add and occasionally delete
 * contacts; the billing system moves plans and payment states. It writes straight into the two
 * databases as any other program would, so its changes are captured (and tagged `user`) like real ones.
 */

export const SIMULATOR_ACTIONS = ['crm.rename', 'crm.phone', 'crm.create', 'crm.delete', 'billing.plan', 'billing.status'] as const;
export type SimulatorAction = (typeof SIMULATOR_ACTIONS)[number];

const WEIGHTS: Record<SimulatorAction, number> = {
  'crm.rename': 14,
  'crm.phone': 18,
  'crm.create': 8,
  'crm.delete': 2,
  'billing.plan': 26,
  'billing.status': 32,
};
const TOTAL_WEIGHT = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

/** Keeps the demo tables in a readable size however long it runs. */
const MIN_CONTACTS = 25;
const MAX_CONTACTS = 200;
const TICK_MS = 50;
const MAX_PER_TICK = 100;

const OptionsSchema = z.object({
  dir: z.string().min(1, 'give the folder that holds crm.db and billing.db'),
  ratePerSec: z.number().positive('must be more than 0 changes per second').max(1000, 'must be at most 1000 changes per second'),
  maxChanges: z.number().int().positive().optional(),
});

export interface SimulatorOptions {
  /** The folder with the demo databases (see ensureDemoSystems). */
  dir: string;
  /** Changes per second, over both systems. */
  ratePerSec: number;
  /** A seeded source (see seededRandom) makes the sequence of changes repeatable. */
  random?: () => number;
  /** Stop by itself after this many changes. */
  maxChanges?: number;
}

export interface SimulatorStats {
  running: boolean;
  changes: number;
  byAction: Record<SimulatorAction, number>;
  errors: number;
  lastError?: string;
}

export interface Simulator {
  stop(): Promise<void>;
  stats(): SimulatorStats;
}

const FIRST_NAMES = ['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Riley', 'Casey', 'Jamie', 'Avery', 'Quinn', 'Robin', 'Elif', 'Mei', 'Arjun', 'Sven', 'Lina'];
const LAST_NAMES = ['Nguyen', 'Okoro', 'Lindgren', 'Moreno', 'Walsh', 'Baker', 'Ito', 'Kaur', 'Dubois', 'Costa', 'Weber', 'Hughes', 'Park', 'Romero', 'Fischer', 'Ali'];
const NICKNAMES: Record<string, string> = { James: 'Jim', Benjamin: 'Ben', Samuel: 'Sam', Daniel: 'Dan', Elena: 'Lena', Olivia: 'Liv', Isabella: 'Bella', Lucas: 'Luke', Tomas: 'Tom', Hannah: 'Anna' };
const FORMAL = Object.fromEntries(Object.entries(NICKNAMES).map(([k, v]) => [v, k]));
const AREA_CODES = ['212', '312', '415', '617', '206', '303', '512', '646', '305', '404'];
const COMPANIES: Array<[string, string]> = [
  ['Northwind Traders', 'northwind.example'],
  ['Contoso Ltd', 'contoso.example'],
  ['Fabrikam Inc', 'fabrikam.example'],
  ['Tailspin Toys', 'tailspin.example'],
  ['Litware', 'litware.example'],
  ['Coho Winery', 'coho.example'],
];
const PLANS: DemoPlan[] = ['basic', 'pro', 'enterprise'];

type Row = Record<string, unknown> & { id: number };

export function startSimulator(options: SimulatorOptions): Simulator {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`invalid simulator options — ${parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ')}`);
  }
  const { dir, ratePerSec, maxChanges } = parsed.data;
  const random = options.random ?? Math.random;
  const open = (file: string): Database.Database => {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) throw new Error(`no ${file} in ${dir}: create the demo databases first (ensureDemoSystems)`);
    const db = new Database(full, { fileMustExist: true, timeout: 2000 });
    db.pragma('journal_mode = WAL');
    return db;
  };
  const crm = open(DEMO_CRM_FILE);
  let billing: Database.Database;
  try {
    billing = open(DEMO_BILLING_FILE);
  } catch (e) {
    crm.close();
    throw e;
  }

  const stats: SimulatorStats = { running: true, changes: 0, byAction: Object.fromEntries(SIMULATOR_ACTIONS.map((a) => [a, 0])) as SimulatorStats['byAction'], errors: 0 };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const now = (): string => new Date().toISOString();
  const count = (db: Database.Database, table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  const pickRow = (db: Database.Database, table: string): Row | undefined => {
    const n = count(db, table);
    if (n === 0) return undefined;
    return db.prepare(`SELECT * FROM ${table} ORDER BY id LIMIT 1 OFFSET ?`).get(Math.floor(random() * n)) as Row;
  };
  const newPhone = (): string => `(${pick(AREA_CODES)}) 555-01${String(Math.floor(random() * 100)).padStart(2, '0')}`;

  const chooseAction = (): SimulatorAction => {
    let r = random() * TOTAL_WEIGHT;
    for (const a of SIMULATOR_ACTIONS) {
      r -= WEIGHTS[a];
      if (r < 0) return a;
    }
    return 'billing.status';
  };

  /** Performs one change; returns false when it had nothing to act on (an empty table). */
  const act = (action: SimulatorAction): boolean => {
    switch (action) {
      case 'crm.rename': {
        const c = pickRow(crm, 'contacts');
        if (!c) return false;
        const first = String(c['first_name'] ?? '');
        const nick = NICKNAMES[first] ?? FORMAL[first];
        if (nick && random() < 0.5) crm.prepare('UPDATE contacts SET first_name = ?, updated_at = ? WHERE id = ?').run(nick, now(), c.id);
        else crm.prepare('UPDATE contacts SET last_name = ?, updated_at = ? WHERE id = ?').run(pick(LAST_NAMES), now(), c.id);
        return true;
      }
      case 'crm.phone': {
        const c = pickRow(crm, 'contacts');
        if (!c) return false;
        crm.prepare('UPDATE contacts SET phone = ?, updated_at = ? WHERE id = ?').run(newPhone(), now(), c.id);
        return true;
      }
      case 'crm.create': {
        if (count(crm, 'contacts') >= MAX_CONTACTS) return act('crm.delete');
        const first = pick(FIRST_NAMES);
        const last = pick(LAST_NAMES);
        const [company, domain] = pick(COMPANIES);
        const taken = crm.prepare('SELECT 1 FROM contacts WHERE lower(email) = ?');
        let email = `${first}.${last}@${domain}`.toLowerCase();
        for (let n = 2; taken.get(email); n++) email = `${first}.${last}${n}@${domain}`.toLowerCase();
        crm
          .prepare('INSERT INTO contacts (email, first_name, last_name, phone, company, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(email, first, last, newPhone(), company, now());
        return true;
      }
      case 'crm.delete': {
        if (count(crm, 'contacts') <= MIN_CONTACTS) return act('crm.phone');
        const c = pickRow(crm, 'contacts');
        if (!c) return false;
        crm.prepare('DELETE FROM contacts WHERE id = ?').run(c.id);
        return true;
      }
      case 'billing.plan': {
        const c = pickRow(billing, 'customers');
        if (!c) return false;
        const plan = pick(PLANS.filter((p) => p !== c['plan_code']));
        billing.prepare('UPDATE customers SET plan_code = ?, updated_at = ? WHERE id = ?').run(plan, now(), c.id);
        return true;
      }
      case 'billing.status': {
        const c = pickRow(billing, 'customers');
        if (!c) return false;
        billing.prepare('UPDATE customers SET status = ?, updated_at = ? WHERE id = ?').run(nextStatus(c['status'] as DemoBillingStatus | null, random()), now(), c.id);
        return true;
      }
    }
  };

  let budget = 0;
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    stats.running = false;
    if (timer) clearTimeout(timer);
    crm.close();
    billing.close();
  };
  const tick = (): void => {
    const t = Date.now();
    budget = Math.min(budget + ((t - last) * ratePerSec) / 1000, MAX_PER_TICK);
    last = t;
    while (budget >= 1 && !closed) {
      budget -= 1;
      const action = chooseAction();
      try {
        if (act(action)) {
          stats.changes++;
          stats.byAction[action]++;
        }
      } catch (e) {
        // Busy databases and the like: an outside user would just try again later.
        stats.errors++;
        stats.lastError = `${action}: ${(e as Error).message}`;
      }
      if (maxChanges !== undefined && stats.changes >= maxChanges) finish();
    }
    if (!closed) {
      timer = setTimeout(tick, Math.max(TICK_MS, Math.min(1000, 1000 / ratePerSec)));
      timer.unref();
    }
  };
  timer = setTimeout(tick, 0);
  timer.unref();

  return {
    async stop() {
      finish();
    },
    stats: () => ({ ...stats, byAction: { ...stats.byAction } }),
  };
}

/** How a subscription's payment state moves: most customers pay, some fall behind, a few cancel or come back. */
export function nextStatus(current: DemoBillingStatus | null, r: number): DemoBillingStatus {
  switch (current) {
    case 'active':
      return r < 0.75 ? 'past_due' : 'cancelled';
    case 'past_due':
      return r < 0.7 ? 'active' : 'cancelled';
    case 'cancelled':
      return 'active';
    default:
      return r < 0.85 ? 'active' : 'cancelled';
  }
}
