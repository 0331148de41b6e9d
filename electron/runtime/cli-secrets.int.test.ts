import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';

/**
 * Secrets without a keychain, from outside: `synccanvas secrets …` and `synccanvas run` in a process
 * that cannot reach any Secret Service (no D-Bus session, no display), as on a server. The password
 * of a real Postgres comes from an environment variable, a secrets folder or the encrypted vault;
 * no value is ever printed or stored in the clear.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const db = usePostgres('secrets');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-cli-secrets-'));
const workspace = path.join(work, 'ws');
const flowFile = path.join(work, 'pg.flow.json');
const VAULT_KEY = 'test master key, long enough to use';
const children: ChildProcess[] = [];

/** The environment of a server: no keychain reachable, a fresh HOME. */
function serverEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(work, 'home'), ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('SYNCCANVAS_') && !(k in extra)) delete env[k];
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.DISPLAY;
  delete env.XDG_DATA_HOME;
  return env;
}

function cli(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: serverEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(opts.input ?? '');
  });
}

beforeAll(async () => {
  const { admin, server, database } = db();
  fs.mkdirSync(path.join(work, 'home'), { recursive: true });
  await admin.query('CREATE TABLE contacts (id int PRIMARY KEY, email text NOT NULL, name text)');
  fs.writeFileSync(
    flowFile,
    JSON.stringify({
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'pg-secrets',
      name: 'Postgres to SQLite',
      systems: [
        { id: 'crm', name: 'CRM', kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'crm/db-password' } },
        { id: 'copy', name: 'Copy', kind: 'sqlite', config: { path: path.join(work, 'copy.db') } },
      ],
      syncs: [
        {
          id: 'contacts',
          a: { system: 'crm', entity: 'contacts' },
          b: { system: 'copy', entity: 'contacts' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'exact' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'name', owner: 'a' },
          ],
        },
      ],
    }),
  );
  const copy = new Database(path.join(work, 'copy.db'));
  copy.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT)');
  copy.close();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await db().admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [db().database]).catch(() => {});
  fs.rmSync(work, { recursive: true, force: true });
});

describe('synccanvas secrets, with no keychain', () => {
  it('says plainly that nothing can be stored without a keychain or a vault key, and what to use instead', async () => {
    const r = await cli(['secrets', 'set', 'crm/db-password', '--workspace', workspace], { input: 'x' });
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/keychain is unavailable/);
    expect(r.err).toMatch(/SYNCCANVAS_VAULT_KEY/);
    const check = await cli(['secrets', 'check', flowFile, '--workspace', workspace]);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/MISSING {2}crm\/db-password {2}needed by Postgres to SQLite \/ CRM \(password\); looked in SYNCCANVAS_SECRET_CRM_DB_PASSWORD/);
  });

  it('stores in the encrypted vault (value piped in, never printed, never in the clear on disk), lists and checks it', async () => {
    const password = db().server.password;
    const env = { SYNCCANVAS_VAULT_KEY: VAULT_KEY };
    const set = await cli(['secrets', 'set', 'crm/db-password', '--workspace', workspace], { env, input: `${password}\n` });
    expect(set.err).toBe('');
    expect(set.code).toBe(0);
    expect(set.out).toMatch(/stored "crm\/db-password" in the encrypted vault/);
    const vault = fs.readFileSync(path.join(workspace, 'secrets.vault'), 'utf8');
    expect(vault).not.toContain(password);
    const list = await cli(['secrets', 'list', '--workspace', workspace], { env });
    expect(list.out).toContain('crm/db-password  (encrypted vault)');
    const check = await cli(['secrets', 'check', flowFile, '--workspace', workspace, '--json'], { env });
    expect(check.code).toBe(0);
    const report = JSON.parse(check.out) as { secrets: { name: string; source: string }[] };
    expect(report.secrets).toEqual([expect.objectContaining({ name: 'crm/db-password', source: 'vault' })]);
    for (const r of [set, list, check]) expect(r.out + r.err).not.toContain(password);

    const wrongKey = await cli(['secrets', 'check', flowFile, '--workspace', workspace], { env: { SYNCCANVAS_VAULT_KEY: 'not the key this vault was made with' } });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toMatch(/does not open the vault/);
  });

  it('an environment variable wins over the vault, and `run` syncs a real Postgres with it and no keychain', async () => {
    const { admin, server } = db();
    await admin.query(`INSERT INTO contacts VALUES (1, 'ann@x.io', 'Ann'), (2, 'bob@x.io', 'Bob')`);
    const env = { SYNCCANVAS_VAULT_KEY: VAULT_KEY, SYNCCANVAS_SECRET_CRM_DB_PASSWORD: server.password };
    const check = await cli(['secrets', 'check', flowFile, '--workspace', workspace], { env });
    expect(check.out).toMatch(/^ok {7}crm\/db-password {2}from the environment variable: SYNCCANVAS_SECRET_CRM_DB_PASSWORD$/m);

    const run = spawn(process.execPath, [bin, 'run', flowFile, '--workspace', workspace], { env: serverEnv({ SYNCCANVAS_SECRET_CRM_DB_PASSWORD: server.password }), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(run);
    let log = '';
    run.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const copy = new Database(path.join(work, 'copy.db'), { readonly: true });
    const rows = () => copy.prepare('SELECT email, name FROM contacts ORDER BY email').all();
    const end = Date.now() + 30_000;
    while (rows().length < 2 && Date.now() < end && run.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(rows(), log).toEqual([
      { email: 'ann@x.io', name: 'Ann' },
      { email: 'bob@x.io', name: 'Bob' },
    ]);
    copy.close();
    run.kill('SIGTERM');
    await new Promise((r) => run.once('exit', r));
    expect(log).not.toContain(server.password);
  }, 60_000);
});
