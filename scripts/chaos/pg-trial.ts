import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { createTestDatabase, type EmbeddedServerInfo } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import { startTcpProxy, type TcpProxy } from '../../electron/runtime/connectors/postgres/test-support/tcp-proxy.js';
import { trustLoopbackRole } from '../../electron/runtime/connectors/postgres/test-support/trust-loopback-role.js';
import { seededRandom } from '../../electron/runtime/demo/seeded-random.js';
import { sleep } from '../../electron/runtime/test-support/synccanvas-process.js';
import { faultTimes, NETWORK_FAULTS, planFaults, PROCESS_FAULTS, RuntimeUnderTest, type Fault, type TrialOptions, type TrialResult } from './trial.js';

/**
 * A Postgres trial. Side A (`contacts`) gets inserts, updates and deletes from a seeded writer;
 * in the two-way kind side B (`customers`) gets edits of the fields it owns (plan, n_b) at the
 * same time. Side B sits behind a TCP proxy, so the network faults and the refused connections
 * hit it (the target of A→B, and the source of B→A in the two-way kind).
 *
 * Each side's owner bumps a counter (n_a, n_b) with every change, so (email, counter) names one
 * change: a trigger on each side logs every write made by the runtime (application_name
 * synccanvas), and the same change written twice is a duplicate write.
 */
const ROLE = 'sc_chaos';

/** Awkward values each column can take; the writer draws from these. */
const NAMES = [
  `O'Brien`, `"quoted"`, 'back\\slash', 'emoji 🎉 ok', 'línea\nnueva', 'tab\there', '', null, '  padded  ', 'Ωmega ß', 'zero\u200bwidth', 'x'.repeat(2_000), `semi;colon -- comment`, 'null', 'NULL',
];
const AMOUNTS = ['0', '-1.50', '12345678901234567890.123456789', null, '0.0000000001', '1.10', '100'];
const DOCS = ['{"a": [1, 2, {"b": null}]}', '"just a string"', '[]', '{"ü": "ß", "n": 1.5}', null, '{"nested": {"deep": [true, false]}}', '{}'];
const TIMES = ['2024-02-29T12:34:56.789Z', '1970-01-01T00:00:00Z', null, '2038-01-19T03:14:08.123456Z', '1999-12-31T23:59:59.999Z'];
const PLANS = ['basic', 'pro', 'enterprise', null, 'plan ✓ ünïcode', ''];

const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const sideTables = (twoWay: boolean) => ({
  a: `CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n_a int NOT NULL DEFAULT 0, amount numeric, doc jsonb, at timestamptz${twoWay ? ', plan text, n_b int' : ''})`,
  b: `CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, n_a int, amount numeric, doc jsonb, at timestamptz${twoWay ? ', plan_code text, n_b int' : ''})`,
});

/** Logs every insert and update the runtime makes (by application_name), with the change counters. */
const writeLog = (table: string) => `
  CREATE TABLE write_log (seq bigserial, op text NOT NULL, email text, n_a int, n_b int, app text, row_text text);
  CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE r jsonb := to_jsonb(NEW);
    BEGIN
      IF current_setting('application_name') = 'synccanvas' THEN
        INSERT INTO write_log (op, email, n_a, n_b, app, row_text) VALUES (TG_OP, NEW.email, (r->>'n_a')::int, (r->>'n_b')::int, current_setting('application_name'), NEW::text);
      END IF;
      RETURN NEW;
    END $$;
  CREATE TRIGGER log_write AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION log_write();`;

interface PgSide {
  db: string;
  client: pg.Client | null;
}

export async function runPgTrial(server: EmbeddedServerInfo, opts: TrialOptions): Promise<TrialResult> {
  const twoWay = opts.kind === 'pg-two-way';
  const random = seededRandom(opts.seed);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `sc-chaos-${opts.kind}-`));
  const superuser = { host: server.host, port: server.port, user: server.user, password: server.password };
  const connect = async (database: string) => {
    const c = new pg.Client({ ...superuser, database });
    c.on('error', () => {});
    await c.connect();
    return c;
  };
  const admin = await connect('postgres');
  await trustLoopbackRole(admin, ROLE);
  const base = await createTestDatabase(server, 'chaos');
  const a: PgSide = { db: `${base}_a`, client: null };
  const b: PgSide = { db: `${base}_b`, client: null };
  await admin.query(`CREATE DATABASE ${a.db}`);
  await admin.query(`CREATE DATABASE ${b.db}`);
  await admin.query(`DROP DATABASE ${base}`);
  let proxy: TcpProxy | null = null;
  let runtime: RuntimeUnderTest | null = null;
  const faults = planFaults(random, [...PROCESS_FAULTS, ...NETWORK_FAULTS], opts.quick);
  try {
    const ddl = sideTables(twoWay);
    a.client = await connect(a.db);
    b.client = await connect(b.db);
    await a.client.query(ddl.a);
    await b.client.query(ddl.b);
    await b.client.query(writeLog('customers'));
    if (twoWay) await a.client.query(writeLog('contacts'));
    proxy = await startTcpProxy({ host: server.host, port: server.port });
    const system = (id: string, name: string, database: string, port: number) => ({
      id,
      name,
      kind: 'postgres',
      // A short query timeout, so a black-holed session fails over in seconds, not a minute.
      config: { host: server.host, port, database, user: ROLE, sslmode: 'disable', queryTimeoutSeconds: 3 },
    });
    const own = (field: string, other: string, owner: 'a' | 'b') => ({ a: field, b: other, owner });
    const flowFile = path.join(work, 'chaos.flow.json');
    fs.writeFileSync(
      flowFile,
      JSON.stringify({
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: 'chaos',
        name: `Chaos ${opts.kind}`,
        systems: [system('side-a', 'Side A', a.db, server.port), system('side-b', 'Side B', b.db, proxy.port)],
        syncs: [
          {
            id: 'contacts',
            a: { system: 'side-a', entity: 'contacts' },
            b: { system: 'side-b', entity: 'customers' },
            direction: twoWay ? 'both' : 'a-to-b',
            matchKey: { a: 'email', b: 'email', normalize: 'exact' },
            fields: [
              own('email', 'email', 'a'),
              own('name', 'full_name', 'a'),
              own('n_a', 'n_a', 'a'),
              own('amount', 'amount', 'a'),
              own('doc', 'doc', 'a'),
              own('at', 'at', 'a'),
              ...(twoWay ? [own('plan', 'plan_code', 'b'), own('n_b', 'n_b', 'b')] : []),
            ],
            deletePolicy: { mode: 'hard' },
          },
        ],
      }),
    );

    const ops = opts.quick ? 160 : 500;
    const spanMs = opts.quick ? 5_000 : 14_000;
    runtime = new RuntimeUnderTest(flowFile, path.join(work, 'ws'));
    const emails: string[] = [];
    let changes = 0;
    let stop = false;
    // The B side's own users: edits of the fields B owns, on records that reached B. They ride
    // out B's outages (an edit that fails to reach B never happened there).
    const editB = async (email: string) => {
      try {
        b.client ??= await connect(b.db);
        const r = await b.client.query('UPDATE customers SET plan_code = $1, n_b = coalesce(n_b, 0) + 1 WHERE email = $2', [pick(random, PLANS), email]);
        changes += r.rowCount ?? 0;
      } catch {
        await b.client?.end().catch(() => {});
        b.client = null;
      }
    };
    const began = Date.now();
    const writer = (async () => {
      const ac = a.client!;
      for (let i = 0; i < ops && !stop; i++) {
        const roll = random();
        const live = emails.length > 0 ? pick(random, emails) : null;
        if (roll < 0.3 || !live) {
          const email = `c${opts.seed}-${i}@chaos.test`;
          await ac.query('INSERT INTO contacts (email, name, amount, doc, at) VALUES ($1, $2, $3, $4, $5)', [email, pick(random, NAMES), pick(random, AMOUNTS), pick(random, DOCS), pick(random, TIMES)]);
          emails.push(email);
        } else if (roll < 0.36) {
          await ac.query('DELETE FROM contacts WHERE email = $1', [live]);
          emails.splice(emails.indexOf(live), 1);
        } else if (twoWay && roll < 0.66) {
          await editB(live);
          continue;
        } else {
          const column = pick(random, ['name', 'amount', 'doc', 'at'] as const);
          const value = column === 'name' ? pick(random, NAMES) : column === 'amount' ? pick(random, AMOUNTS) : column === 'doc' ? pick(random, DOCS) : pick(random, TIMES);
          await ac.query(`UPDATE contacts SET ${column} = $1, n_a = n_a + 1 WHERE email = $2`, [value, live]);
        }
        changes++;
        // Paced so the stream spans the faults (about spanMs in all).
        await sleep(Math.max(0, began + ((i + 1) * spanMs) / ops - Date.now()));
      }
    })();

    const at = faultTimes(random, faults.length, spanMs);
    const outageMs = () => 1_500 + Math.floor(random() * 2_500);
    let lastRestore = Date.now();
    const missed: number[] = [];
    for (let i = 0; i < faults.length; i++) {
      await sleep(Math.max(0, began + at[i]! - Date.now()));
      const fault = faults[i] as Fault;
      if (fault === 'kill') {
        await runtime.kill();
        await sleep(200 + Math.floor(random() * 800));
        await runtime.restart();
      } else if (fault === 'kill-window') {
        if (!(await runtime.killInWriteWindow(15_000))) missed.push(i);
      } else if (fault.startsWith('cut-')) {
        await proxy.cut(fault.slice(4) as 'refuse' | 'reset' | 'blackhole');
        await sleep(outageMs());
        await proxy.restore();
      } else if (fault === 'db-refuse') {
        await admin.query(`ALTER DATABASE ${b.db} ALLOW_CONNECTIONS false`);
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [b.db]);
        await sleep(outageMs());
        await admin.query(`ALTER DATABASE ${b.db} ALLOW_CONNECTIONS true`);
      }
      lastRestore = Date.now();
    }
    await writer;
    stop = true;
    const settled = Math.max(lastRestore, Date.now());

    // Catch-up: both sides equal, compared in B's database.
    const catchUpLimitMs = opts.quick ? 45_000 : 90_000;
    let diff = await compare(connect, a.db, b.db, twoWay);
    while (diff.total > 0 && Date.now() - settled < catchUpLimitMs) {
      await sleep(250);
      diff = await compare(connect, a.db, b.db, twoWay);
    }
    const catchUpSeconds = diff.total === 0 ? (Date.now() - settled) / 1000 : null;
    await runtime.stop();
    if (opts.sabotage) await sabotage(server, b.db);
    // Late writes after the first equal moment would show here.
    diff = await compare(connect, a.db, b.db, twoWay);
    const logB = await writeLogCounts(connect, b.db, 'n_a');
    const logA = twoWay ? await writeLogCounts(connect, a.db, 'n_b') : { writes: 0, duplicates: 0 };
    const dupWrites = logA.duplicates + logB.duplicates;
    const dlq = readDlq(path.join(work, 'ws', 'workspace.db'));
    const deadLettered = dlq.count;
    diff.sample.push(...dlq.sample);
    // For a mismatch: what the runtime wrote to that record on B, in order.
    const firstKey = diff.sample.find((x) => /^(lost|extra|mismatched) /.test(x))?.split(' ')[1]?.replace(/:$/, '');
    if (firstKey) {
      const c = await connect(b.db);
      const writes = (await c.query<{ op: string; row_text: string }>('SELECT op, row_text FROM write_log WHERE email = $1 ORDER BY seq', [firstKey])).rows;
      await c.end().catch(() => {});
      diff.sample.push(`runtime writes to B for ${firstKey}: ${writes.map((w) => `${w.op} ${w.row_text.slice(0, 160)}`).join(' | ')}`);
    }
    return {
      trial: opts.trial,
      kind: opts.kind,
      seed: opts.seed,
      // A kill-window fault whose runtime reached no target write in time is marked, not hidden.
      faults: faults.map((f, i) => (missed.includes(i) ? `${f}(no write came)` : f)),
      changes,
      loggedWrites: logA.writes + logB.writes,
      lost: diff.lost,
      duplicated: diff.extra + dupWrites,
      mismatched: diff.mismatched,
      deadLettered,
      catchUpSeconds,
      ...(diff.total > 0 || dupWrites > 0 || deadLettered > 0 ? { detail: `${diff.sample.join('; ')}${dupWrites ? `; ${dupWrites} duplicate writes` : ''}; runtime said: ${runtime.stderrTail(1_500)}` } : {}),
    };
  } finally {
    await runtime?.stop().catch(() => {});
    await proxy?.close().catch(() => {});
    await a.client?.end().catch(() => {});
    await b.client?.end().catch(() => {});
    await admin.query(`ALTER DATABASE ${b.db} ALLOW_CONNECTIONS true`).catch(() => {});
    await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ($1, $2) AND NOT active`, [a.db, b.db]).catch(() => {});
    if (process.env.KEEP_CHAOS_DATA) {
      fs.writeFileSync(path.join(work, 'runtime.log'), runtime?.stderrTail(Infinity) ?? '');
      console.log(`chaos: kept ${work}`);
    }
    if (!process.env.KEEP_CHAOS_DATA) {
      for (const d of [a.db, b.db]) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
      fs.rmSync(work, { recursive: true, force: true });
    }
    await admin.end().catch(() => {});
  }
}

/** One record lost, one changed and one written again by "the runtime" on side B. */
async function sabotage(server: EmbeddedServerInfo, database: string): Promise<void> {
  const as = async (app: string) => {
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database, application_name: app });
    await c.connect();
    return c;
  };
  const other = await as('chaos-sabotage');
  const runtimeLike = await as('synccanvas');
  try {
    const keys = (await other.query<{ email: string }>('SELECT email FROM customers ORDER BY email LIMIT 3')).rows.map((r) => r.email);
    if (keys.length < 3) throw new Error('sabotage needs three records on side B');
    await other.query('DELETE FROM customers WHERE email = $1', [keys[0]]);
    await other.query(`UPDATE customers SET full_name = coalesce(full_name, '') || ' (changed)' WHERE email = $1`, [keys[1]]);
    await runtimeLike.query('UPDATE customers SET n_a = n_a WHERE email = $1', [keys[2]]);
  } finally {
    await other.end();
    await runtimeLike.end();
  }
}

interface Diff {
  lost: number;
  extra: number;
  mismatched: number;
  total: number;
  sample: string[];
}

/**
 * Side A's rows, rendered as text by Postgres itself (a row value's text form), loaded into a
 * temporary table in B's database and joined there with B's rows rendered the same way: no value
 * passes through JavaScript types on the way.
 */
async function compare(connect: (db: string) => Promise<pg.Client>, aDb: string, bDb: string, twoWay: boolean): Promise<Diff> {
  const extra = twoWay ? ', plan, n_b' : '';
  const extraB = twoWay ? ', plan_code, n_b' : '';
  const ac = await connect(aDb);
  let rows: { email: string; r: string }[];
  try {
    rows = (await ac.query(`SELECT email, ROW(name, n_a, amount, doc, at${extra})::text AS r FROM contacts`)).rows;
  } finally {
    await ac.end().catch(() => {});
  }
  const bc = await connect(bDb);
  try {
    await bc.query('CREATE TEMP TABLE side_a (email text, r text)');
    await bc.query('INSERT INTO side_a SELECT * FROM unnest($1::text[], $2::text[])', [rows.map((x) => x.email), rows.map((x) => x.r)]);
    const { rows: d } = await bc.query<{ kind: string; email: string; want: string | null; got: string | null }>(`
      SELECT CASE WHEN b.email IS NULL THEN 'lost' WHEN s.email IS NULL THEN 'extra' ELSE 'mismatched' END AS kind, coalesce(s.email, b.email) AS email, s.r AS want, b.r AS got
        FROM side_a s
        FULL JOIN (SELECT email, ROW(full_name, n_a, amount, doc, at${extraB})::text AS r FROM customers) b ON b.email = s.email
       WHERE s.email IS NULL OR b.email IS NULL OR s.r IS DISTINCT FROM b.r
       ORDER BY 2`);
    const count = (k: string) => d.filter((x) => x.kind === k).length;
    return {
      lost: count('lost'),
      extra: count('extra'),
      mismatched: count('mismatched'),
      total: d.length,
      sample: d.slice(0, 4).map((x) => `${x.kind} ${x.email}: A ${x.want?.slice(0, 120)} / B ${x.got?.slice(0, 120)}`),
    };
  } finally {
    await bc.end().catch(() => {});
  }
}

/** The runtime's writes on a side, and those beyond the first of one change (email, counter). */
async function writeLogCounts(connect: (db: string) => Promise<pg.Client>, database: string, counter: 'n_a' | 'n_b'): Promise<{ writes: number; duplicates: number }> {
  const c = await connect(database);
  try {
    const { rows } = await c.query<{ writes: number; duplicates: number }>(
      `SELECT coalesce(sum(k), 0)::int AS writes, coalesce(sum(k - 1), 0)::int AS duplicates FROM (SELECT count(*) AS k FROM write_log GROUP BY email, ${counter}) d`,
    );
    return rows[0]!;
  } finally {
    await c.end().catch(() => {});
  }
}

export function countDlq(workspaceDb: string): number {
  return readDlq(workspaceDb).count;
}

/** The DLQ's depth and its first entries (class, key, message), for a failing trial's report. */
export function readDlq(workspaceDb: string): { count: number; sample: string[] } {
  if (!fs.existsSync(workspaceDb)) return { count: 0, sample: [] };
  const ws = new Database(workspaceDb, { readonly: true, fileMustExist: true });
  try {
    const count = (ws.prepare('SELECT count(*) AS n FROM dlq').get() as { n: number }).n;
    const rows = ws.prepare('SELECT direction, error_class, key, message FROM dlq LIMIT 3').all() as { direction: string; error_class: string; key: string; message: string }[];
    return { count, sample: rows.map((r) => `DLQ ${r.direction} ${r.error_class} ${r.key}: ${r.message.slice(0, 300)}`) };
  } finally {
    ws.close();
  }
}
