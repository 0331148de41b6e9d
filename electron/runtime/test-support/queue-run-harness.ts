import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { expect } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { exited, REPO_ROOT, sleep, startSynccanvasRun, type RuntimeProcess } from './synccanvas-process.js';

type SyncSide = { system: string; entity: string };

/**
 * What the queue fault tests share: a folder of flow files and workspaces, one-way flows written
 * into it, `synccanvas run` processes that are all SIGKILLed at the end, and a look into a
 * workspace's DLQ and inbox.
 */
export function queueRunWorkspace(prefix: string) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `sc-${prefix}-`));
  const children: RuntimeProcess[] = [];
  return {
    work,
    /** A one-way flow `a` → `b` matched on `matchKey`, every field owned by `a`. */
    writeFlow(name: string, systems: Record<string, unknown>[], a: SyncSide, b: SyncSide, fields: { a: string; b: string }[], matchKey: { a: string; b: string }): string {
      const file = path.join(work, `${name}.flow.json`);
      const sync = { id: 'contacts', a, b, direction: 'a-to-b', matchKey: { ...matchKey, normalize: 'exact' }, fields: fields.map((f) => ({ ...f, owner: 'a' })) };
      fs.writeFileSync(file, JSON.stringify({ schemaVersion: FLOW_SCHEMA_VERSION, id: name, name, systems, syncs: [sync] }));
      return file;
    },
    run(flow: string, ws: string, env: Record<string, string> = {}): RuntimeProcess {
      expect(fs.existsSync(path.join(REPO_ROOT, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
      const child = startSynccanvasRun(flow, path.join(work, ws), { env });
      children.push(child);
      return child;
    },
    async dlqAndInbox(ws: string): Promise<{ dlq: { error_class: string; event_id: string }[]; pending: number }> {
      const Database = (await import('better-sqlite3')).default;
      const d = new Database(path.join(work, ws, 'workspace.db'), { readonly: true });
      try {
        return { dlq: d.prepare('SELECT error_class, event_id FROM dlq').all() as { error_class: string; event_id: string }[], pending: (d.prepare('SELECT count(*) AS n FROM inbox').get() as { n: number }).n };
      } finally {
        d.close();
      }
    },
    /** SIGKILL every run still alive and remove the folder. */
    remove(): void {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A target table with a write log filled by a trigger: every insert and update, in commit order. */
export async function createLoggedTable(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, n bigint, big numeric)`);
  await client.query(`CREATE TABLE ${table}_log (seq bigserial PRIMARY KEY, email text, n bigint)`);
  await client.query(`CREATE FUNCTION ${table}_logw() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${table}_log (email, n) VALUES (NEW.email, NEW.n); RETURN NEW; END $$`);
  await client.query(`CREATE TRIGGER ${table}_logt AFTER INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_logw()`);
}

/** Rows of the write log where a record's n did not grow: a write repeated or out of order (empty: none). */
export async function writesOutOfOrder(client: pg.ClientBase, table: string): Promise<unknown[]> {
  const out = await client.query(`SELECT email, n, prev FROM (SELECT email, n, lag(n) OVER (PARTITION BY email ORDER BY seq) AS prev FROM ${table}_log) t WHERE prev IS NOT NULL AND n <= prev LIMIT 5`);
  return out.rows;
}

/** One change of a record as a queue sink published it, read back by the test's own consumer. */
export interface PublishedChange {
  n: number;
  /** The digits of the `big` numeric as the envelope carried them (compared as text, never as a JS number). */
  big: string;
}

/** How a Postgres → queue fault test reads the sink's broker back. */
export interface PublishedReader {
  /** How many messages the test's consumer has seen so far. */
  published(): Promise<number>;
  /** What was published per record (its email), oldest first, re-sends of one message id dropped. */
  perRecord(): Promise<Map<string, PublishedChange[]>>;
  broker: { kill(): Promise<void>; start(): Promise<void> };
  /** After the broker is back: true once the test's own client works again. */
  reconnected?: () => boolean | Promise<boolean>;
}

/** The `big` digits out of an envelope's text, as sent (a regex: JSON.parse would round them). */
export function bigDigitsOf(envelopeText: string): string {
  return /"big":"?(-?[0-9.]+)"?[,}]/.exec(envelopeText)![1]!;
}

/**
 * The fault sequence of the Postgres → queue tests under `synccanvas run`, on a source table
 * `out_contacts` (created here) with a writer committing upserts of 25 records all along: the run is
 * held right after a publish (before its inbox commit) and SIGKILLed there, restarted, SIGKILLed and
 * restarted again once messages flow, then the broker is killed and started. Ends when the last
 * change of every record is published; then each record's changes must be in order with the last one
 * exact, and the run must stop cleanly with nothing in its DLQ or inbox.
 */
export async function postgresToQueueFaults(
  h: ReturnType<typeof queueRunWorkspace>,
  source: pg.ClientBase,
  opts: { flow: string; ws: string; pauseEnv: Record<string, string>; reader: PublishedReader; until: (what: string, cond: () => boolean | Promise<boolean>) => Promise<unknown> },
): Promise<void> {
  const { flow, ws, reader, until } = opts;
  let child = h.run(flow, ws, opts.pauseEnv);
  let stop = false;
  let changes = 0;
  const writer = (async () => {
    while (!stop) {
      await source.query(`INSERT INTO out_contacts (email, n, big) VALUES ($1, 1, $2) ON CONFLICT (email) DO UPDATE SET n = out_contacts.n + 1, big = EXCLUDED.big`, [`o${changes % 25}@x.io`, `123456789012345678901234567890.${changes}`]);
      changes++;
      await sleep(3);
    }
  })();
  await until('the runtime to pause after a publish', () => child.stderrText().includes('paused at apply:after-write'));
  child.kill('SIGKILL');
  await exited(child);
  child = h.run(flow, ws);
  await until('changes published', async () => (await reader.published()) > 200);
  child.kill('SIGKILL');
  await exited(child);
  child = h.run(flow, ws);
  await until('changes after the restart', async () => (await reader.published()) > 400);
  await reader.broker.kill();
  await sleep(1000);
  await reader.broker.start();
  if (reader.reconnected) await until('the test client to reconnect', reader.reconnected);
  await until('changes after the broker restart', async () => (await reader.published()) > 600);
  stop = true;
  await writer;
  const expected = new Map(((await source.query('SELECT email, n, big::text AS big FROM out_contacts')).rows as { email: string; n: number; big: string }[]).map((r) => [r.email, r]));
  try {
    await until('the last change of every record to be published', async () => {
      const m = await reader.perRecord();
      return [...expected.values()].every((r) => m.get(r.email)?.at(-1)?.n === r.n);
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}; runtime said ${child.stderrText().slice(-1500)}`);
  }
  const m = await reader.perRecord();
  expect(m.size).toBe(expected.size);
  for (const [email, list] of m) {
    expect(list.every((x, i) => i === 0 || x.n > list[i - 1]!.n), `${email}: ${list.map((x) => x.n).join(',')}`).toBe(true);
    expect(list.at(-1)!.big).toBe(expected.get(email)!.big);
  }
  child.kill('SIGTERM');
  expect(await exited(child), child.stderrText()).toBe(0);
  const { dlq, pending } = await h.dlqAndInbox(ws);
  expect(dlq).toEqual([]);
  expect(pending).toBe(0);
}

/** The source table of postgresToQueueFaults. */
export async function createOutContacts(source: pg.ClientBase): Promise<void> {
  await source.query('CREATE TABLE out_contacts (id serial PRIMARY KEY, email text NOT NULL UNIQUE, n int NOT NULL DEFAULT 0, big numeric NOT NULL)');
}
