import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgresPair } from './connectors/postgres/test-support/postgres-pair.js';
import { exited, REPO_ROOT, startSynccanvasRun, until as untilMs, type RuntimeProcess } from './test-support/synccanvas-process.js';

/**
 * Unchanged TOASTed columns across a crash: `synccanvas run` (Postgres → Postgres, matched on id)
 * on rows with a ~20 KB text stored out of line, while most updates leave that column alone (it
 * arrives as "unchanged TOAST", with no value) and some rewrite it. The runtime is killed with
 * SIGKILL mid-stream and started again: the target equals the source as Postgres prints it, no big
 * value is lost or nulled, and nothing is in the DLQ.
 */
const postgresPair = usePostgresPair('toast_kill', 'sc_toast');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-toast-kill-'));
const children: RuntimeProcess[] = [];
let source: pg.Client;
let target: pg.Client;
let sourceDb: string;
let targetDb: string;

const DDL = ['CREATE TABLE docs (id bigint PRIMARY KEY, n int NOT NULL, title text, body text)', 'ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL'];
/** ~20 KB of random hex: does not compress, so Postgres stores it out of line. */
const bigText = () => randomBytes(10_000).toString('hex');

beforeAll(async () => {
  const pair = postgresPair();
  ({ sourceDb, targetDb, source, target } = pair);
  for (const c of [source, target]) for (const sql of DDL) await c.query(sql);
  // Rows before the start arrive by the initial snapshot.
  for (let id = 1; id <= 30; id++) await source.query('INSERT INTO docs VALUES ($1, 0, $2, $3)', [id, `t${id}`, bigText()]);
  fs.writeFileSync(
    path.join(work, 'toast.flow.json'),
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-toast-kill',
      name: 'TOAST kill test',
      systems: [pair.system('src', sourceDb), pair.system('dst', targetDb)],
      syncs: [
        {
          id: 'docs',
          a: { system: 'src', entity: 'docs' },
          b: { system: 'dst', entity: 'docs' },
          direction: 'a-to-b',
          matchKey: { a: 'id', b: 'id', normalize: 'exact' },
          fields: ['id', 'n', 'title', 'body'].map((n) => ({ a: n, b: n, owner: 'a' })),
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
  const child = startSynccanvasRun(path.join(work, 'toast.flow.json'), path.join(work, 'ws'));
  children.push(child);
  return child;
};
const until = (what: string, cond: () => Promise<boolean>, ms = 60_000) => untilMs(what, cond, ms).then(() => undefined);
/** The whole table as Postgres prints it, hashed in Postgres (the two tables live in two databases). */
const tableHash = async (c: pg.Client) => (await c.query<{ h: string }>(`SELECT md5(string_agg(d::text, E'\\n' ORDER BY id)) AS h FROM docs d`)).rows[0]!.h;

it('keeps unchanged TOASTed values through a SIGKILL and a restart: target equals source, none nulled, empty DLQ', async () => {
  expect(fs.existsSync(path.join(REPO_ROOT, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
  let run = startRun();
  let stop = false;
  let changes = 0;
  let untouched = 0;
  const writer = (async () => {
    let nextId = 31;
    while (!stop) {
      const id = (changes % 30) + 1;
      if (changes % 5 === 0) {
        await source.query('UPDATE docs SET n = n + 1, body = $2 WHERE id = $1', [id, bigText()]);
      } else if (changes % 7 === 0) {
        await source.query('INSERT INTO docs VALUES ($1, 0, $2, $3)', [nextId, `t${nextId}`, bigText()]);
        nextId++;
      } else {
        // The body stays as it is: pgoutput sends it as "unchanged TOAST", without its value.
        await source.query(`UPDATE docs SET n = n + 1, title = title || '.' WHERE id = $1`, [id]);
        untouched++;
      }
      changes++;
      await new Promise((r) => setTimeout(r, 3));
    }
  })();
  try {
    await until('changes to reach the target', async () => Number((await target.query('SELECT coalesce(sum(n), 0) AS s FROM docs')).rows[0].s) > 40);
    run.kill('SIGKILL');
    await exited(run);
    await new Promise((r) => setTimeout(r, 300));
    run = startRun();
    const before = changes;
    await until('the writer to go on after the restart', async () => changes > before + 150);
  } finally {
    stop = true;
    await writer;
  }
  const want = await tableHash(source);
  try {
    await until('the target to equal the source', async () => (await tableHash(target)) === want);
  } catch (e) {
    const nulls = (await target.query('SELECT id FROM docs WHERE body IS NULL')).rows;
    throw new Error(`${(e as Error).message}; target rows with a NULL body: ${JSON.stringify(nulls)}; runtime said: ${run.stderrText().slice(-1500)}`);
  }
  expect(untouched).toBeGreaterThan(100);
  expect((await target.query('SELECT count(*)::int AS n FROM docs WHERE body IS NULL OR length(body) <> 20000')).rows[0].n).toBe(0);
  // The check above compares text; this one, every row of both tables by Postgres's own equality.
  const rows = async (c: pg.Client) => (await c.query(`SELECT id, n, title, md5(body) AS b FROM docs ORDER BY id`)).rows;
  expect(await rows(target)).toEqual(await rows(source));
  run.kill('SIGTERM');
  expect(await exited(run), run.stderrText()).toBe(0);
  const ws = new Database(path.join(work, 'ws', 'workspace.db'), { readonly: true });
  try {
    expect(ws.prepare('SELECT error_class, message FROM dlq').all()).toEqual([]);
    // The big values are remembered apart from the rest of each shadow (store/shadows.ts).
    expect((ws.prepare('SELECT count(*) AS n FROM shadow_values').get() as { n: number }).n).toBeGreaterThan(0);
  } finally {
    ws.close();
  }
}, 180_000);
