import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEMO_FLOW } from '../../electron/runtime/demo/demo-flow.js';
import { DEMO_BILLING_FILE, DEMO_CRM_FILE, ensureDemoSystems } from '../../electron/runtime/demo/demo-systems.js';
import { seededRandom } from '../../electron/runtime/demo/seeded-random.js';
import { startSimulator } from '../../electron/runtime/demo/simulator.js';
import { applyTransforms } from '../../electron/runtime/engine/transforms.js';
import { sleep } from '../../electron/runtime/test-support/synccanvas-process.js';
import { readDlq } from './pg-trial.js';
import { faultTimes, planFaults, PROCESS_FAULTS, RuntimeUnderTest, type TrialOptions, type TrialResult } from './trial.js';

/**
 * A SQLite ↔ SQLite trial on the demo flow (CRM owns who, Billing owns what they pay): the demo
 * simulator, seeded, edits both sides while the runtime is killed (at random, and between a target
 * write and its inbox commit). Afterwards every record must have its counterpart with the owner's
 * values (through the flow's transforms), compared in each database.
 *
 * The write log: a trigger on each table logs every update the runtime made (the change log's
 * origin row says so inside its write transaction) that changed no mapped field: a change applied
 * a second time.
 */
const sync = DEMO_FLOW.syncs[0]!;
const ORIGIN_TABLE = '_synccanvas_origin';

function installWriteLog(db: Database.Database, table: string, fields: string[]): void {
  const same = fields.map((f) => `NEW.${f} IS OLD.${f}`).join(' AND ');
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${ORIGIN_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL);
    CREATE TABLE chaos_write_log (id INTEGER, op TEXT NOT NULL, origin TEXT);
    CREATE TRIGGER chaos_log_insert AFTER INSERT ON ${table}
      WHEN (SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1) IS NOT NULL
      BEGIN INSERT INTO chaos_write_log VALUES (NEW.id, 'insert', (SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1)); END;
    CREATE TRIGGER chaos_log_changed AFTER UPDATE ON ${table}
      WHEN (SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1) IS NOT NULL AND NOT (${same})
      BEGIN INSERT INTO chaos_write_log VALUES (NEW.id, 'update', (SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1)); END;
    CREATE TRIGGER chaos_log_update AFTER UPDATE ON ${table}
      WHEN (SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1) IS NOT NULL AND ${same}
      BEGIN INSERT INTO chaos_write_log VALUES (NEW.id, 'same-again', (SELECT origin FROM ${ORIGIN_TABLE} WHERE id = 1)); END;`);
}

export async function runSqliteTrial(opts: TrialOptions): Promise<TrialResult> {
  const random = seededRandom(opts.seed);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-chaos-sqlite-'));
  const dataDir = path.join(work, 'data');
  ensureDemoSystems(dataDir);
  const crm = new Database(path.join(dataDir, DEMO_CRM_FILE));
  const billing = new Database(path.join(dataDir, DEMO_BILLING_FILE));
  crm.pragma('busy_timeout = 5000');
  billing.pragma('busy_timeout = 5000');
  installWriteLog(crm, 'contacts', sync.fields.map((m) => m.a));
  installWriteLog(billing, 'customers', sync.fields.map((m) => m.b));
  const flowFile = path.join(work, 'demo.flow.json');
  fs.writeFileSync(flowFile, JSON.stringify(DEMO_FLOW, null, 2));
  const faults = planFaults(random, PROCESS_FAULTS, opts.quick);
  const runtime = new RuntimeUnderTest(flowFile, work);
  try {
    const spanMs = opts.quick ? 5_000 : 14_000;
    const rate = 60;
    const sim = startSimulator({ dir: dataDir, ratePerSec: rate, random: seededRandom(opts.seed ^ 0x5eed), maxChanges: Math.round((rate * spanMs) / 1000) });
    const began = Date.now();
    const at = faultTimes(random, faults.length, spanMs);
    let lastRestart = Date.now();
    const missed: number[] = [];
    for (let i = 0; i < faults.length; i++) {
      await sleep(Math.max(0, began + at[i]! - Date.now()));
      if (faults[i] === 'kill') {
        await runtime.kill();
        await sleep(200 + Math.floor(random() * 800));
        await runtime.restart();
      } else if (!(await runtime.killInWriteWindow(15_000))) {
        missed.push(i);
      }
      lastRestart = Date.now();
    }
    await sleep(Math.max(0, began + spanMs - Date.now()));
    await sim.stop();
    const changes = sim.stats().changes;
    const settled = Math.max(lastRestart, Date.now());
    const limitMs = opts.quick ? 45_000 : 90_000;
    let diff = compare(crm, billing);
    while (diff.total > 0 && Date.now() - settled < limitMs) {
      await sleep(250);
      diff = compare(crm, billing);
    }
    const catchUpSeconds = diff.total === 0 ? (Date.now() - settled) / 1000 : null;
    await runtime.stop();
    diff = compare(crm, billing);
    const logged = (db: Database.Database, op?: string) => (db.prepare(`SELECT count(*) AS n FROM chaos_write_log${op ? ' WHERE op = ?' : ''}`).get(...(op ? [op] : [])) as { n: number }).n;
    const dupWrites = logged(crm, 'same-again') + logged(billing, 'same-again');
    const loggedWrites = logged(crm) + logged(billing);
    const dlq = readDlq(path.join(work, 'workspace.db'));
    const deadLettered = dlq.count;
    diff.sample.push(...dlq.sample);
    return {
      trial: opts.trial,
      kind: opts.kind,
      seed: opts.seed,
      // A kill-window fault whose runtime reached no target write in time is marked, not hidden.
      faults: faults.map((f, i) => (missed.includes(i) ? `${f}(no write came)` : f)),
      changes,
      loggedWrites,
      lost: diff.lost,
      duplicated: diff.extra + dupWrites,
      mismatched: diff.mismatched,
      deadLettered,
      catchUpSeconds,
      ...(diff.total > 0 || dupWrites > 0 || deadLettered > 0 ? { detail: `${diff.sample.join('; ')}${dupWrites ? `; ${dupWrites} writes that changed nothing` : ''}; runtime said: ${runtime.stderrTail(1_500)}` } : {}),
    };
  } finally {
    await runtime.stop().catch(() => {});
    crm.close();
    billing.close();
    if (process.env.KEEP_CHAOS_DATA) {
      fs.writeFileSync(path.join(work, 'runtime.log'), runtime?.stderrTail(Infinity) ?? '');
      console.log(`chaos: kept ${work}`);
    }
    if (!process.env.KEEP_CHAOS_DATA) fs.rmSync(work, { recursive: true, force: true });
  }
}

interface Diff {
  lost: number;
  extra: number;
  mismatched: number;
  total: number;
  sample: string[];
}

const norm = (v: unknown) => String(v ?? '').trim().toLowerCase();

/**
 * What each side should hold, from the owner's rows through the flow's transforms, loaded into a
 * temporary table in that side's database and compared there with IS NOT (SQLite's IS DISTINCT FROM).
 */
function compare(crm: Database.Database, billing: Database.Database): Diff {
  const aOwned = sync.fields.filter((m) => m.owner === 'a');
  const bOwned = sync.fields.filter((m) => m.owner === 'b');
  const contacts = crm.prepare('SELECT * FROM contacts').all() as Record<string, unknown>[];
  const customers = billing.prepare('SELECT * FROM customers').all() as Record<string, unknown>[];
  const sample: string[] = [];
  const check = (db: Database.Database, table: string, keyCol: string, fields: string[], rows: unknown[][], unmatchedIsExtra: boolean) => {
    db.exec(`DROP TABLE IF EXISTS temp.want; CREATE TEMP TABLE want (k TEXT, ${fields.map((f) => `"${f}"`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO temp.want VALUES (${['?', ...fields.map(() => '?')].join(', ')})`);
    db.transaction(() => rows.forEach((r) => insert.run(...(r as unknown[]))))();
    const got = `(SELECT lower(trim(${keyCol})) AS k, * FROM main.${table})`;
    const lost = db.prepare(`SELECT k FROM temp.want w WHERE NOT EXISTS (SELECT 1 FROM main.${table} t WHERE lower(trim(t.${keyCol})) = w.k)`).all() as { k: string }[];
    const unmatched = unmatchedIsExtra ? `SELECT k FROM ${got} t WHERE NOT EXISTS (SELECT 1 FROM temp.want w WHERE w.k = t.k) UNION ALL ` : '';
    const extra = db.prepare(`${unmatched}SELECT k FROM ${got} GROUP BY k HAVING count(*) > 1`).all() as { k: string }[];
    const shown = fields.map((f) => `'${f}: ' || quote(w."${f}") || ' / ' || quote(t."${f}")`).join(` || ', ' || `);
    const mismatched = db.prepare(`SELECT w.k || ' (want / got: ' || ${shown} || ')' AS k FROM temp.want w JOIN ${got} t ON t.k = w.k WHERE ${fields.map((f) => `t."${f}" IS NOT w."${f}"`).join(' OR ')}`).all() as { k: string }[];
    for (const [what, list] of [['lost', lost], ['extra', extra], ['mismatched', mismatched]] as const) for (const x of list.slice(0, 2)) sample.push(`${what} in ${table}: ${x.k}`);
    return { lost: lost.length, extra: extra.length, mismatched: mismatched.length };
  };
  const toB = check(billing, 'customers', 'contact_email', aOwned.map((m) => m.b), contacts.map((c) => [norm(c.email), ...aOwned.map((m) => applyTransforms(c[m.a], m.toB))]), true);
  // Side A is checked for B's fields only on records both sides have (records are A's to create).
  const aKeys = new Set(contacts.map((c) => norm(c.email)));
  const toA = check(crm, 'contacts', 'email', bOwned.map((m) => m.a), customers.filter((c) => aKeys.has(norm(c.contact_email))).map((c) => [norm(c.contact_email), ...bOwned.map((m) => applyTransforms(c[m.b], m.toA))]), false);
  const lost = toB.lost + toA.lost;
  const extra = toB.extra + toA.extra;
  const mismatched = toB.mismatched + toA.mismatched;
  return { lost, extra, mismatched, total: lost + extra + mismatched, sample };
}
