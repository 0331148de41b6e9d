import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { expect } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { REPO_ROOT, startSynccanvasRun, type RuntimeProcess } from './synccanvas-process.js';

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
