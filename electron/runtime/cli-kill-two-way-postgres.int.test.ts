import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';
import { trustLoopbackRole } from './connectors/postgres/test-support/trust-loopback-role.js';
import { until } from './test-support/synccanvas-process.js';

/**
 * `synccanvas run` on a two-way Postgres ↔ Postgres flow with users writing on both sides at about
 * 25 writes/s each (the CRM creates and renames contacts, Billing changes plans), killed with SIGKILL
 * mid-stream and restarted: both sides converge (compared as Postgres prints them), no record is
 * duplicated, nothing is in the DLQ, and no ownership violation is counted, since nobody edited a
 * field they do not own.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const db = usePostgres('kill2way');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-pgkill2-'));
const children: ChildProcess[] = [];
let crm: pg.Client;
let billing: pg.Client;
let crmDb: string;
let billingDb: string;

beforeAll(async () => {
  const { admin, server } = db();
  await trustLoopbackRole(admin, 'sc_kill');
  crmDb = `${db().database}_crm`;
  billingDb = `${db().database}_billing`;
  await admin.query(`CREATE DATABASE ${crmDb}`);
  await admin.query(`CREATE DATABASE ${billingDb}`);
  const connect = async (database: string) => {
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await c.connect();
    return c;
  };
  crm = await connect(crmDb);
  billing = await connect(billingDb);
  await crm.query("CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, plan text NOT NULL DEFAULT 'free')");
  await billing.query("CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, plan text NOT NULL DEFAULT 'free')");
  // Records on both sides before the first sync, equal but for the email's case.
  await crm.query(`INSERT INTO contacts (email, name) SELECT 'old' || g || '@x.io', 'Old ' || g FROM generate_series(1, 40) g`);
  await billing.query(`INSERT INTO customers (email, full_name) SELECT 'old' || g || '@x.io', 'Old ' || g FROM generate_series(1, 40) g`);
  const system = (id: string, database: string) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: 'sc_kill', sslmode: 'disable' } });
  fs.writeFileSync(
    path.join(work, 'pg.flow.json'),
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-kill-2way',
      name: 'PG two-way kill test',
      systems: [system('crm', crmDb), system('billing', billingDb)],
      syncs: [
        {
          id: 'contacts',
          a: { system: 'crm', entity: 'contacts' },
          b: { system: 'billing', entity: 'customers' },
          direction: 'both',
          matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'full_name', owner: 'a' },
            { a: 'plan', b: 'plan', owner: 'b' },
          ],
        },
      ],
    }),
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await crm?.end();
  await billing?.end();
  const { admin } = db();
  await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ($1, $2) AND NOT active`, [crmDb, billingDb]).catch(() => {});
  fs.rmSync(work, { recursive: true, force: true });
});

function startRun(): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [bin, 'run', path.join(work, 'pg.flow.json'), '--workspace', path.join(work, 'ws')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return Object.assign(child, { stderrText: () => err });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Both sides as Postgres prints them, by normalized email: what convergence is compared on. */
const side = async (c: pg.Client, table: string, name: string) =>
  (await c.query(`SELECT lower(email) AS email, ${name}::text AS name, plan::text AS plan FROM ${table} ORDER BY lower(email)`)).rows as { email: string; name: string; plan: string }[];

describe('two-way synccanvas run on Postgres under load survives SIGKILL', () => {
  it('both sides converge with no duplicates, no DLQ and no ownership violation, at ~25 writes/s per side with a SIGKILL', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    let run = startRun();
    let stop = false;
    const writes = { crm: 0, billing: 0 };
    // About 25 writes/s per side: the CRM creates contacts and renames them; Billing changes the
    // plan of customers it has (its own old ones and those the runtime created).
    const crmWriter = (async () => {
      let i = 0;
      while (!stop) {
        if (i % 2 === 0) await crm.query(`INSERT INTO contacts (email, name) VALUES ($1, $2)`, [`p${i}@x.io`, `P ${i}`]);
        else await crm.query(`UPDATE contacts SET name = name || '.' WHERE id = (SELECT id FROM contacts ORDER BY random() LIMIT 1)`);
        i++;
        writes.crm++;
        await sleep(40);
      }
    })();
    const billingWriter = (async () => {
      let i = 0;
      while (!stop) {
        await billing.query(`UPDATE customers SET plan = $1 WHERE id = (SELECT id FROM customers ORDER BY random() LIMIT 1)`, [`plan-${i++}`]);
        writes.billing++;
        await sleep(40);
      }
    })();
    await until('changes to reach billing', async () => (await billing.query(`SELECT count(*)::int AS n FROM customers WHERE email LIKE 'p%'`)).rows[0].n > 40, 60_000);
    run.kill('SIGKILL');
    await exited(run);
    await sleep(1_000);
    run = startRun();
    await sleep(4_000);
    stop = true;
    await Promise.all([crmWriter, billingWriter]);
    try {
      await until('both sides to converge', async () => JSON.stringify(await side(crm, 'contacts', 'name')) === JSON.stringify(await side(billing, 'customers', 'full_name')), 90_000);
    } catch (e) {
      const a = await side(crm, 'contacts', 'name');
      const b = new Map((await side(billing, 'customers', 'full_name')).map((r) => [r.email, JSON.stringify(r)]));
      const diff = a.filter((r) => b.get(r.email) !== JSON.stringify(r)).slice(0, 5).map((r) => [JSON.stringify(r), b.get(r.email)]);
      throw new Error(`${(e as Error).message}: ${a.length} vs ${b.size} rows; first differences ${JSON.stringify(diff)}; runtime said: ${run.stderrText().slice(-1500)}`);
    }
    // Settled: nothing keeps rewriting either side (no ping-pong).
    const versions = async () => [
      (await crm.query(`SELECT string_agg(xmin::text, ',' ORDER BY id) AS x FROM contacts`)).rows[0].x,
      (await billing.query(`SELECT string_agg(xmin::text, ',' ORDER BY id) AS x FROM customers`)).rows[0].x,
    ];
    const settled = await versions();
    await sleep(2_000);
    expect(await versions()).toEqual(settled);
    run.kill('SIGTERM');
    expect(await exited(run), run.stderrText()).toBe(0);

    expect(writes.crm).toBeGreaterThan(100);
    expect(writes.billing).toBeGreaterThan(100);
    // No duplicates: one row per email on each side, the same emails on both.
    for (const [c, table] of [
      [crm, 'contacts'],
      [billing, 'customers'],
    ] as const) {
      expect((await c.query(`SELECT count(*)::int - count(DISTINCT lower(email))::int AS d FROM ${table}`)).rows[0].d, table).toBe(0);
    }
    const status = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [bin, 'status', '--json', '--workspace', path.join(work, 'ws')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', () => resolve(out));
    });
    const flow = (JSON.parse(status) as { flows: { dlqDepth: number; inboxPending: number; syncs: { directions: { direction: string; errors: number; ownershipViolations: number }[] }[] }[] }).flows[0]!;
    expect(flow.dlqDepth).toBe(0);
    expect(flow.inboxPending).toBe(0);
    for (const d of flow.syncs[0]!.directions) {
      expect(d.errors, d.direction).toBe(0);
      expect(d.ownershipViolations, `${d.direction}: nobody edited a field they do not own`).toBe(0);
    }
  }, 240_000);
});
