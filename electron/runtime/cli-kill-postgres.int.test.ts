import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { exited, startSynccanvasRun, until as untilMs } from './test-support/synccanvas-process.js';

const until = (what: string, cond: () => Promise<boolean>, ms = 30_000) => untilMs(what, cond, ms).then(() => undefined);

/**
 * `synccanvas run` on a Postgres → Postgres flow, killed with SIGKILL while changes stream in and
 * restarted: the target equals the source, and nothing was written twice.
 * The flow needs no secret: it logs in as a role trusted on loopback (see trustLoopbackRole).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const postgresPair = usePostgresPair('kill', 'sc_kill');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-pgkill-'));
const children: ChildProcess[] = [];
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;

beforeAll(async () => {
  const pair = postgresPair();
  ({ sourceDb, targetDb, source, target } = pair);
  await source.query('CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, n int NOT NULL DEFAULT 0)');
  await target.query('CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, n int)');
  const system = pair.system;
  fs.writeFileSync(
    path.join(work, 'pg.flow.json'),
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-kill',
      name: 'PG kill test',
      systems: [system('src', sourceDb), system('dst', targetDb)],
      syncs: [
        {
          id: 'contacts',
          a: { system: 'src', entity: 'contacts' },
          b: { system: 'dst', entity: 'customers' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'exact' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'full_name', owner: 'a' },
            { a: 'n', b: 'n', owner: 'a' },
          ],
        },
      ],
    }),
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

const startRun = () => {
  const child = startSynccanvasRun(path.join(work, 'pg.flow.json'), path.join(work, 'ws'));
  children.push(child);
  return child;
};

const count = async (c: pg.Client, table: string) => (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;

describe('synccanvas run on Postgres survives SIGKILL', () => {
  it('target equals source, with no duplicate writes, after a SIGKILL mid-stream and a restart', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    let run = startRun();
    // Changes keep coming while the runtime runs, dies and comes back.
    let stop = false;
    let written = 0;
    const writer = (async () => {
      while (!stop) {
        await source.query(`INSERT INTO contacts (email, name) VALUES ($1, $2)`, [`p${written}@x.io`, `P ${written}`]);
        if (written % 3 === 0) await source.query(`UPDATE contacts SET n = n + 1, name = name || '.' WHERE email = $1`, [`p${Math.floor(written / 2)}@x.io`]);
        written++;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await until('changes to reach the target', async () => (await count(target, 'customers')) > 50, 60_000);
    run.kill('SIGKILL');
    await exited(run);
    await new Promise((r) => setTimeout(r, 500));
    run = startRun();
    await until('changes to flow after the restart', async () => (await count(target, 'customers')) > (await count(source, 'contacts')) / 2 + 60, 60_000);
    stop = true;
    await writer;
    const rows = async (c: pg.Client, table: string, name: string) => (await c.query(`SELECT email, ${name} AS name, n FROM ${table} ORDER BY email`)).rows;
    try {
      await until('the target to equal the source', async () => JSON.stringify(await rows(target, 'customers', 'full_name')) === JSON.stringify(await rows(source, 'contacts', 'name')), 60_000);
    } catch (e) {
      const a = await rows(source, 'contacts', 'name');
      const b = await rows(target, 'customers', 'full_name');
      const bm = new Map(b.map((r) => [r.email, JSON.stringify(r)]));
      const diff = a.filter((r) => bm.get(r.email) !== JSON.stringify(r)).slice(0, 5).map((r) => [JSON.stringify(r), bm.get(r.email)]);
      const Database = (await import('better-sqlite3')).default;
      const ws = new Database(path.join(work, 'ws', 'workspace.db'), { readonly: true });
      const seen = ws.prepare("SELECT event_id FROM dedupe_keys ORDER BY seen_at").all() as { event_id: string }[];
      const dlq = ws.prepare('SELECT message FROM dlq').all();
      const shadow = ws.prepare("SELECT key, state FROM shadows WHERE state LIKE ?").all(`%${JSON.parse(diff[0]![0]!).email}%`);
      ws.close();
      throw new Error(`seen ${seen.length} events, dlq ${JSON.stringify(dlq)}, shadow ${JSON.stringify(shadow)}; ${(e as Error).message}: ${a.length} source rows, ${b.length} target rows; first differences ${JSON.stringify(diff)}; runtime said: ${run.stderrText().slice(-1500)}`);
    }
    run.kill('SIGTERM');
    expect(await exited(run), run.stderrText()).toBe(0);
    // No duplicates: one target row per source row (the unique email index would have failed a second insert).
    expect(await count(target, 'customers')).toBe(await count(source, 'contacts'));
    expect(written).toBeGreaterThan(60);
    // …and nothing failed on the way (a second insert would have hit the index and gone to the DLQ).
    const status = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [bin, 'status', '--json', '--workspace', path.join(work, 'ws')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', () => resolve(out));
    });
    const flow = (JSON.parse(status) as { flows: { dlqDepth: number; inboxPending: number; syncs: { directions: { errors: number; applied: number }[] }[] }[] }).flows[0]!;
    expect(flow.dlqDepth).toBe(0);
    expect(flow.inboxPending).toBe(0);
    expect(flow.syncs[0]!.directions[0]!.errors).toBe(0);
  }, 180_000);
});
