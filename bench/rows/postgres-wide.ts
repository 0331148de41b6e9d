import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { startEmbeddedServer, type EmbeddedServerInfo } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import { trustLoopbackRole } from '../../electron/runtime/connectors/postgres/test-support/trust-loopback-role.js';
import { exited, hasExited, startSynccanvasRun, SYNCCANVAS_BIN, type RuntimeProcess } from '../../electron/runtime/test-support/synccanvas-process.js';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import type { BenchOptions, BenchRow } from '../types.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Realistic rows (issue 12 part 4): a 12-column table, a third of the changes rewrite a ~20 KB text
 * column, the rest change small columns and leave it as an unchanged TOASTed value. One writer
 * session commits single-row UPDATEs as fast as it can; `synccanvas run` (the dist build, its own
 * process) carries them to a second database. Beside it in the same run, Postgres's own logical
 * replication (CREATE SUBSCRIPTION between two databases of the same server) does the same work:
 * the ceiling. Each side counts from the writer's start until the target holds the writer's last
 * change, then Postgres compares the whole tables (md5 of the ordered rows as Postgres prints them).
 *
 * BENCH_CPU_PROF=<dir> runs the runtime with `--cpu-prof` and leaves the profile there.
 */

const ROLE = 'sc_bench_wide';
const WIDE_DDL = `CREATE TABLE wide (
  id bigint PRIMARY KEY, seq bigint NOT NULL, email text NOT NULL, name text, plan text, amount numeric(12,2),
  score double precision, active boolean, tags text[], meta jsonb, updated_at timestamptz, body text)`;

/** The same rows in every database: the body is deterministic, ~20 KB of md5 hex that does not compress. */
function seedSql(keys: number): string {
  return `INSERT INTO wide SELECT g, 0, 'user' || g || '@example.com', 'Name ' || g, 'basic', g * 0.01, g / 3.0, true, ARRAY['a', 'b'], jsonb_build_object('n', g),
    '2026-01-01T00:00:00Z', (SELECT string_agg(md5(g::text || '-' || i::text), '') FROM generate_series(1, 625) i) FROM generate_series(1, ${keys}) g`;
}

async function connect(server: EmbeddedServerInfo, database: string): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
  await c.connect();
  return c;
}

async function waitUntil(cond: () => Promise<boolean>, ms: number, what: string, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Two databases holding the same seeded `wide` table (stored out of line: TOAST). */
async function preparePair(server: EmbeddedServerInfo, admin: pg.Client, base: string, keys: number): Promise<{ src: pg.Client; dst: pg.Client; srcDb: string; dstDb: string }> {
  const srcDb = `${base}_src`;
  const dstDb = `${base}_dst`;
  await admin.query(`CREATE DATABASE ${srcDb}`);
  await admin.query(`CREATE DATABASE ${dstDb}`);
  const src = await connect(server, srcDb);
  const dst = await connect(server, dstDb);
  for (const c of [src, dst]) {
    await c.query(WIDE_DDL);
    await c.query('ALTER TABLE wide ALTER COLUMN body SET STORAGE EXTERNAL');
    await c.query(seedSql(keys));
    await c.query('VACUUM ANALYZE wide');
  }
  return { src, dst, srcDb, dstDb };
}

const tableHash = async (c: pg.Client): Promise<string> => (await c.query<{ h: string }>(`SELECT md5(string_agg(w::text, E'\\n' ORDER BY id)) AS h FROM wide w`)).rows[0]!.h;

/** CPU ticks of every process (Linux /proc), and whether it is a `postgres` process. */
type CpuSnapshot = Map<number, { ticks: number; postgres: boolean }>;

function cpuSnapshot(): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const nameEnd = stat.lastIndexOf(')');
      const fields = stat.slice(nameEnd + 2).split(' ');
      out.set(Number(pid), { ticks: Number(fields[11]) + Number(fields[12]), postgres: stat.slice(stat.indexOf('(') + 1, nameEnd) === 'postgres' });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/**
 * CPU milliseconds since `before`: of the given processes, and of every `postgres` process. Counted
 * per process, so one that ended meanwhile (its CPU is gone from /proc) is left out rather than
 * subtracted; one that started meanwhile counts whole.
 */
function cpuSince(before: CpuSnapshot, pids: number[]): { pg: number; pids: number } {
  let pgTicks = 0;
  let own = 0;
  for (const [pid, now] of cpuSnapshot()) {
    const ticks = now.ticks - (before.get(pid)?.ticks ?? 0);
    if (pids.includes(pid)) own += ticks;
    else if (now.postgres) pgTicks += ticks;
  }
  return { pg: pgTicks * 10, pids: own * 10 };
}

interface Run {
  sent: number;
  writerSeconds: number;
  /** Changes per second from the writer's start until the target held its last change. */
  rate: number;
  /** Milliseconds the target trailed the writer's end. */
  behindMs: number;
  /** Milliseconds after the writer's end until the whole target equalled the source. */
  equalMs: number | null;
  pgCpuUs: number;
  runtimeCpuUs: number | null;
}

/** The writer at full speed for `seconds`, its seq going on from `fromSeq`. */
function write(server: EmbeddedServerInfo, database: string, keys: number, seconds: number, fromSeq: number): Promise<{ sent: number; last: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(here, '../support/wide-writer.mjs'), {
      workerData: { connection: { host: server.host, port: server.port, user: server.user, password: server.password, database }, keys, seconds, fromSeq },
    });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

const caughtUp = (dst: pg.Client, last: number) => waitUntil(async () => Number((await dst.query('SELECT max(seq) AS s FROM wide')).rows[0].s) >= last, 300_000, 'the target to hold the last change');

/** Writer at full speed; returns once the target has the last change and equals the source. */
async function drive(server: EmbeddedServerInfo, pair: { src: pg.Client; dst: pg.Client; srcDb: string }, keys: number, seconds: number, runtimePid: number | null): Promise<Run> {
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  const { sent, seconds: writerSeconds } = await write(server, pair.srcDb, keys, seconds, 0);
  const writerEnd = performance.now();
  // An index-free max over the small heap (the body lives in TOAST): cheap enough to poll.
  await caughtUp(pair.dst, sent);
  const doneAt = performance.now();
  const cpu = cpuSince(cpu0, runtimePid ? [runtimePid] : []);
  // The source is still from here on. The target is hashed first: when it already matches, it matched
  // when it caught up (its hash query's snapshot was taken then), so the hashing time is not counted.
  let equalMs: number | null = null;
  let at = doneAt;
  let got = await tableHash(pair.dst);
  const want = await tableHash(pair.src);
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (got === want) {
      equalMs = at - writerEnd;
      break;
    }
    if (performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
    at = performance.now();
    got = await tableHash(pair.dst);
  }
  return {
    sent,
    writerSeconds,
    rate: sent / ((doneAt - t0) / 1000),
    behindMs: doneAt - writerEnd,
    equalMs,
    pgCpuUs: (cpu.pg * 1000) / sent,
    runtimeCpuUs: runtimePid ? (cpu.pids * 1000) / sent : null,
  };
}

interface Backlog {
  changes: number;
  /** Changes per second from the replicator's start until the target held the last one. */
  rate: number;
  /** Milliseconds from the replicator's start until its slot streamed (for synccanvas: the process start). */
  startMs: number;
  /** Milliseconds from the replicator's start until the target held the last change. */
  totalMs: number;
  pgCpuUs: number;
  runtimeCpuUs: number | null;
}

/**
 * The replicator stopped, the writer makes a backlog, the replicator starts again: how fast it
 * catches up with no writer competing for the cores (the runtime's rate includes its start).
 */
async function backlog(server: EmbeddedServerInfo, pair: { src: pg.Client; dst: pg.Client; srcDb: string }, keys: number, seconds: number, fromSeq: number, stop: () => Promise<void>, start: () => Promise<number | null>): Promise<Backlog> {
  await stop();
  const { sent, last } = await write(server, pair.srcDb, keys, seconds, fromSeq);
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  const pid = await start();
  // When the slot streams again: for synccanvas, what the process start (load, open, connect) took.
  const streaming = waitUntil(async () => ((await pair.src.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1 AND active`, [pair.srcDb])).rowCount ?? 0) > 0, 60_000, 'the slot to stream', 5).then(() => performance.now() - t0);
  await caughtUp(pair.dst, last);
  const totalMs = performance.now() - t0;
  const cpu = cpuSince(cpu0, pid ? [pid] : []);
  const startMs = await streaming;
  if ((await tableHash(pair.dst)) !== (await tableHash(pair.src))) throw new Error('after catching up a backlog the target differs from the source');
  // The runtime's CPU is all of it from its start: it is a new process.
  return { changes: sent, rate: sent / (totalMs / 1000), startMs, totalMs, pgCpuUs: (cpu.pg * 1000) / sent, runtimeCpuUs: pid ? (cpu.pids * 1000) / sent : null };
}

async function nativeRun(server: EmbeddedServerInfo, admin: pg.Client, keys: number, seconds: number): Promise<{ live: Run; backlog: Backlog }> {
  const pair = await preparePair(server, admin, 'wide_native', keys);
  try {
    await pair.src.query('CREATE PUBLICATION wide_native_pub FOR TABLE wide');
    // A subscription into the same server cannot create its slot itself (the command would wait on
    // its own transaction), so the slot is made first.
    await pair.src.query(`SELECT pg_create_logical_replication_slot('wide_native', 'pgoutput')`);
    await pair.dst.query(
      `CREATE SUBSCRIPTION wide_native CONNECTION 'host=${server.host} port=${server.port} user=${server.user} password=${server.password} dbname=${pair.srcDb}' ` +
        `PUBLICATION wide_native_pub WITH (create_slot = false, slot_name = 'wide_native', copy_data = false)`,
    );
    await waitUntil(async () => ((await pair.src.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = 'wide_native' AND active`)).rowCount ?? 0) > 0, 30_000, 'the subscription to connect');
    const live = await drive(server, pair, keys, seconds, null);
    const behind = await backlog(
      server,
      pair,
      keys,
      seconds,
      live.sent,
      async () => void (await pair.dst.query('ALTER SUBSCRIPTION wide_native DISABLE')),
      async () => {
        await pair.dst.query('ALTER SUBSCRIPTION wide_native ENABLE');
        return null;
      },
    );
    return { live, backlog: behind };
  } finally {
    await pair.dst.query('DROP SUBSCRIPTION IF EXISTS wide_native').catch(() => {});
    await pair.src.end().catch(() => {});
    await pair.dst.end().catch(() => {});
  }
}

async function runtimeRun(server: EmbeddedServerInfo, admin: pg.Client, keys: number, seconds: number): Promise<{ live: Run; backlog: Backlog }> {
  if (!fs.existsSync(path.join(path.dirname(SYNCCANVAS_BIN), '../dist/runtime/cli.js'))) throw new Error('run `npm run build` first: this row runs bin/synccanvas.mjs (the dist build)');
  await trustLoopbackRole(admin, ROLE);
  const pair = await preparePair(server, admin, 'wide_sc', keys);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-wide-'));
  let child: RuntimeProcess | null = null;
  try {
    const columns = ['id', 'seq', 'email', 'name', 'plan', 'amount', 'score', 'active', 'tags', 'meta', 'updated_at', 'body'];
    // The target was seeded with the same rows, as native replication's was: no snapshot to copy.
    const system = (id: string, database: string) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: ROLE, sslmode: 'disable', initialSnapshot: false } });
    const flowFile = path.join(dir, 'wide.flow.json');
    fs.writeFileSync(
      flowFile,
      JSON.stringify({
        schemaVersion: FLOW_SCHEMA_VERSION,
        id: 'bench-wide',
        name: 'Bench wide rows',
        systems: [system('src', pair.srcDb), system('dst', pair.dstDb)],
        syncs: [{ id: 'wide', a: { system: 'src', entity: 'wide' }, b: { system: 'dst', entity: 'wide' }, direction: 'a-to-b', matchKey: { a: 'id', b: 'id', normalize: 'exact' }, fields: columns.map((n) => ({ a: n, b: n, owner: 'a' })) }],
      }),
    );
    const prof = process.env.BENCH_CPU_PROF;
    const launch = () => startSynccanvasRun(flowFile, path.join(dir, 'ws'), prof ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(prof)}`] } : {});
    const stopRun = async () => {
      child!.kill('SIGTERM');
      const code = await exited(child!);
      if (code !== 0) throw new Error(`synccanvas run exited with ${code}: ${child!.stderrText().slice(-1500)}`);
    };
    child = launch();
    await waitUntil(async () => {
      if (hasExited(child!)) throw new Error(`synccanvas run exited: ${child!.stderrText().slice(-1500)}`);
      return ((await pair.src.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1 AND active`, [pair.srcDb])).rowCount ?? 0) > 0;
    }, 30_000, 'the capture slot', 50);
    const live = await drive(server, pair, keys, seconds, child.pid!);
    const behind = await backlog(server, pair, keys, seconds, live.sent, stopRun, async () => {
      child = launch();
      return child.pid!;
    });
    const ws = path.join(dir, 'ws', 'workspace.db');
    await stopRun();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(ws, { readonly: true });
    const dlq = (db.prepare('SELECT count(*) AS n FROM dlq').get() as { n: number }).n;
    db.close();
    if (dlq > 0) throw new Error(`${dlq} changes went to the DLQ`);
    return { live, backlog: behind };
  } finally {
    if (child && !hasExited(child)) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await pair.src.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [pair.srcDb]).catch(() => {});
    await pair.src.end().catch(() => {});
    await pair.dst.end().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const describeBacklog = (b: Backlog) =>
  `slot streaming ${(b.startMs / 1000).toFixed(2)} s after the start, caught up after ${(b.totalMs / 1000).toFixed(2)} s (${Math.round(b.changes / ((b.totalMs - b.startMs) / 1000)).toLocaleString('en-US')}/s once streaming); CPU per change: postgres ${b.pgCpuUs.toFixed(0)} µs${b.runtimeCpuUs === null ? '' : `, runtime ${b.runtimeCpuUs.toFixed(0)} µs (its start included)`}`;

const equalNote = (r: Run) => (r.equalMs === null ? 'target NOT equal to source 10 s after the writer' : `target = source ${(r.equalMs / 1000).toFixed(1)} s after the writer's end`);

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const keys = opts.quick ? 1_000 : 2_000;
  const seconds = opts.quick ? 4 : 15;
  // Commits wait for their WAL flush as on a real server.
  const server = await startEmbeddedServer(['-c', 'synchronous_commit=on']);
  const admin = await connect(server, 'postgres');
  try {
    const native = await nativeRun(server, admin, keys, seconds);
    const ours = await runtimeRun(server, admin, keys, seconds);
    const describe = (r: Run) =>
      `${r.sent.toLocaleString('en-US')} changes in ${r.writerSeconds.toFixed(1)} s (writer ${Math.round(r.sent / r.writerSeconds).toLocaleString('en-US')}/s), ${(r.behindMs / 1000).toFixed(2)} s behind at its end, ${equalNote(r)}; CPU per change: postgres ${r.pgCpuUs.toFixed(0)} µs${r.runtimeCpuUs === null ? '' : `, runtime ${r.runtimeCpuUs.toFixed(0)} µs`}`;
    return [
      { name: 'postgres wide rows: native logical replication (ceiling)', value: native.live.rate, unit: 'changes/s', note: `12 columns, 1/3 rewrite a 20 KB text, 2/3 leave it unchanged (TOAST), ${keys.toLocaleString('en-US')} rows; ${describe(native.live)}` },
      { name: 'postgres wide rows: synccanvas run', value: ours.live.rate, unit: 'changes/s', ceiling: native.live.rate, ratio: ours.live.rate / native.live.rate, note: `same workload, writer start to target holding its last change; goal ≥ 80% of native and target = source within 5 s; ${describe(ours.live)}` },
      { name: 'postgres wide rows: native catch-up of a backlog (ceiling)', value: native.backlog.rate, unit: 'changes/s', note: `${native.backlog.changes.toLocaleString('en-US')} changes written while the subscription was disabled, then enabled; ${describeBacklog(native.backlog)}` },
      {
        name: 'postgres wide rows: synccanvas run catch-up of a backlog',
        value: ours.backlog.rate,
        unit: 'changes/s',
        ceiling: native.backlog.rate,
        ratio: ours.backlog.rate / native.backlog.rate,
        note: `${ours.backlog.changes.toLocaleString('en-US')} changes written while it was stopped, counted from its start (process start included); ${describeBacklog(ours.backlog)}`,
      },
    ];
  } finally {
    await admin.end().catch(() => {});
    await server.stop();
  }
}
