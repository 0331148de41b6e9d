import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from './store/store.js';
import { SEALED_PREFIX } from './store/data-cipher.js';
import { until } from './test-support/synccanvas-process.js';
import { sqlitePeopleFlow } from './test-support/sqlite-people-flow.js';

/**
 * Customer data at rest, from outside: `synccanvas run` on two SQLite systems with a known secret (the
 * data key, given as SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY) and customer values carrying a unique
 * marker, one of which fails validation (DLQ, its message quoting the value) and is replayed. Every
 * file of the workspace (the database, its -wal and -shm, the lock) and the process output are
 * scanned byte for byte: the secret never appears; customer values never in the output, never in
 * clear in the workspace; after the retention window the applied history is gone, and after
 * `forget` nothing of the person is left even with the key.
 * The systems' own databases live outside the workspace: they are the customer's systems.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-at-rest-'));
const ws = path.join(work, 'ws');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(work, { recursive: true, force: true });
});

const MARK = `Qz${randomBytes(6).toString('hex')}Mk`;
const dataKey = randomBytes(32);
const SECRET = dataKey.toString('base64');
// No keychain reachable, as on a server (npm test runs vitest inside a keyring session): the data key
// comes from the environment, or, in the no-key case, from the workspace's data.key fallback.
const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(work, 'home'), SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY: SECRET };
delete env.DBUS_SESSION_BUS_ADDRESS;
delete env.DISPLAY;
delete env.XDG_DATA_HOME;

const flow = sqlitePeopleFlow({
  id: 'rest',
  name: 'At rest',
  folder: work,
  pollIntervalMs: { crm: 20, billing: 20 },
  direction: 'both',
  fields: [
    { a: 'email', b: 'contact_email', owner: 'a' },
    { a: 'notes', b: 'memo', owner: 'a' },
    { a: 'seats', b: 'seat_count', owner: 'a' },
  ],
  sync: { conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 5000 } },
});

function cli(args: string[], childEnv = env): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--workspace', ws], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** Every file under the workspace whose bytes contain `needle` (text or raw bytes). */
function filesContaining(needle: string | Buffer): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(needle)) hits.push(path.relative(ws, p));
    }
  };
  walk(ws);
  return hits;
}

/** How many workspace rows hold `needle` once every sealed value is opened with the key (what the runtime itself can read). */
function rowsMentioning(needle: string): Record<string, number> {
  const store = Store.open(path.join(ws, 'workspace.db'));
  store.cipher.setKey(dataKey);
  try {
    const db = store.db;
    const out: Record<string, number> = {};
    const note = (table: string, text: string | null) => {
      if (text?.includes(needle)) out[table] = (out[table] ?? 0) + 1;
    };
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]) {
      for (const row of db.prepare(`SELECT * FROM "${t.name}"`).all() as Record<string, unknown>[]) {
        for (const v of Object.values(row)) if (typeof v === 'string' && !v.startsWith(SEALED_PREFIX)) note(t.name, v);
      }
    }
    for (const r of store.dlq.select({})) note('dlq', JSON.stringify(r));
    for (const f of store.flows.list()) for (const s of f.flow.syncs) for (const h of store.history.list(f.flow.id, s.id, 1e9)) note('edge_history', JSON.stringify(h));
    for (const r of store.inbox.ready('rest', Number.MAX_SAFE_INTEGER, 1e6)) note('inbox', JSON.stringify(r));
    for (const r of db.prepare('SELECT flow_id, system, entity, key FROM shadows').all() as { flow_id: string; system: string; entity: string; key: string }[]) {
      note('shadows', JSON.stringify(store.shadows.get(r.flow_id, r.system, r.entity, r.key)));
    }
    return out;
  } finally {
    store.close();
  }
}

describe('customer data at rest', () => {
  it('keeps secrets out of every file and log, customer values out of logs and out of the workspace in clear, and erases them by retention and forget', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    const crm = new Database(path.join(work, 'crm.db'));
    crm.pragma('journal_mode = WAL');
    crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, notes TEXT, seats TEXT)');
    const billing = new Database(path.join(work, 'billing.db'));
    billing.pragma('journal_mode = WAL');
    billing.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, memo TEXT, seat_count INTEGER)');
    const ann = { email: `ann.${MARK}@example.com`, notes: `Ann's note ${MARK}: VIP, call +1 555 0100` };
    const bob = { email: `bob.${MARK}@example.com`, notes: `Bob's note ${MARK}`, seats: `many-${MARK}` };
    crm.prepare('INSERT INTO contacts (id, email, notes, seats) VALUES (1, ?, ?, ?)').run(ann.email, ann.notes, '3');
    crm.prepare('INSERT INTO contacts (id, email, notes, seats) VALUES (2, ?, ?, ?)').run(bob.email, bob.notes, bob.seats);
    const flowFile = path.join(work, 'rest.flow.json');
    fs.writeFileSync(flowFile, JSON.stringify(flow, null, 2));

    const run = spawn(process.execPath, [bin, 'run', flowFile, '--workspace', ws, '--retention', '8s'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(run);
    let log = '';
    run.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    run.stderr!.on('data', (d: Buffer) => (log += d.toString()));

    // Ann syncs; Bob's seats are no whole number: his change is dead-lettered with a message that quotes the value.
    await until('Ann to reach Billing', () => billing.prepare('SELECT 1 FROM customers WHERE contact_email = ?').get(ann.email) !== undefined);
    let dlq: { entries: { id: number; message: string; key: string }[] } = { entries: [] };
    await until('Bob in the DLQ', async () => {
      const r = await cli(['dlq', 'list', '--json']);
      if (r.code === 0) dlq = JSON.parse(r.out);
      return dlq.entries.length === 1;
    });
    expect(dlq.entries[0]!.message).toContain(bob.seats);
    const replay = await cli(['dlq', 'replay', '--all']);
    expect(replay.code, replay.err).toBe(0);
    await until('the replayed change to fail again', async () => {
      const r = JSON.parse((await cli(['dlq', 'list', '--json'])).out) as typeof dlq;
      return r.entries.length === 1 && r.entries[0]!.id !== dlq.entries[0]!.id;
    });

    // While it runs: shadows, the DLQ (event, payload, message), the inbox and history hold the values, all sealed.
    expect(filesContaining(MARK)).toEqual([]);
    expect(rowsMentioning(MARK)).toMatchObject({ shadows: expect.any(Number), dlq: 1, edge_history: expect.any(Number) });
    expect(filesContaining(SECRET)).toEqual([]);
    expect(filesContaining(dataKey)).toEqual([]);

    // Retention (8 s here): the applied history goes; the live record's shadows stay (echo suppression needs them).
    await until('applied history to be purged', () => rowsMentioning(MARK).edge_history === undefined, 25_000);
    expect(rowsMentioning(ann.email).shadows).toBeGreaterThan(0);

    // forget refuses while the runtime has the workspace.
    const refused = await cli(['forget', '--system', 'crm', '--key', '2']);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/runtime \(pid \d+\) has the workspace .*: stop it/);

    run.kill('SIGTERM');
    await new Promise((r) => run.once('exit', r));
    expect(run.exitCode, log).toBe(0);

    // Without the key the entries cannot be read, and the command says what is missing. (While the
    // runtime ran, the command went through it: the runtime has the key.)
    const { SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY: _key, ...withoutKey } = env;
    const locked = await cli(['dlq', 'list', '--json'], withoutKey);
    expect(locked.code).toBe(1);
    expect(locked.err).toMatch(/holds encrypted customer data and its data key \(the secret "synccanvas\/data-key".*\) was not found/);

    // Bob by his CRM key; Ann by her Billing key (the link leads to her CRM record).
    const annBillingId = String((billing.prepare('SELECT id FROM customers WHERE contact_email = ?').get(ann.email) as { id: number }).id);
    const forgotBob = await cli(['forget', '--system', 'crm', '--key', '2', '--json']);
    expect(forgotBob.code, forgotBob.err).toBe(0);
    expect(JSON.parse(forgotBob.out)).toMatchObject({ records: [{ system: 'crm', key: '2' }], rows: { dlq: 1, shadows: expect.any(Number) } });
    expect(rowsMentioning(bob.email)).toEqual({});
    expect(rowsMentioning(ann.email)).not.toEqual({});
    const forgotAnn = await cli(['forget', '--system', 'billing', '--key', annBillingId, '--json']);
    expect(forgotAnn.code, forgotAnn.err).toBe(0);
    expect(JSON.parse(forgotAnn.out).records).toEqual(expect.arrayContaining([{ system: 'billing', key: annBillingId }, { system: 'crm', key: '1' }]));
    expect(rowsMentioning(MARK)).toEqual({});
    expect(new Database(path.join(ws, 'workspace.db'), { readonly: true }).prepare('SELECT COUNT(*) AS n FROM links').get()).toEqual({ n: 0 });

    expect(filesContaining(MARK)).toEqual([]);
    for (const secret of [SECRET, dataKey]) {
      expect(filesContaining(secret)).toEqual([]);
      expect(fs.readFileSync(flowFile).includes(secret)).toBe(false);
    }
    // The process output: no secret, no customer value (the DLQ message quoting Bob's seats stays in the sealed DLQ).
    for (const r of [replay, locked, refused, forgotBob, forgotAnn]) log += r.out + r.err;
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(MARK);
    crm.close();
    billing.close();
  }, 90_000);

  it('with no keychain, no vault and no key given, still runs: the key goes to a 0600 data.key in the workspace, with a warning that says it is weaker', async () => {
    const dir = path.join(work, 'no-key');
    fs.mkdirSync(dir);
    const db = new Database(path.join(dir, 'crm.db'));
    db.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, notes TEXT, seats TEXT)');
    db.prepare('INSERT INTO contacts VALUES (1, ?, ?, ?)').run(`cy.${MARK}@example.com`, `Cy ${MARK}`, '1');
    db.close();
    new Database(path.join(dir, 'billing.db')).exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, memo TEXT, seat_count INTEGER)');
    const f = { ...flow, systems: flow.systems.map((s) => ({ ...s, config: { ...s.config, path: path.join(dir, path.basename(s.config.path)) } })) };
    const flowFile = path.join(dir, 'f.flow.json');
    fs.writeFileSync(flowFile, JSON.stringify(f));
    const workspace = path.join(dir, 'ws');
    const { SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY: _given, ...noKey } = env;
    const run = spawn(process.execPath, [bin, 'run', flowFile, '--workspace', workspace], { env: noKey, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(run);
    let err = '';
    run.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const billing = new Database(path.join(dir, 'billing.db'), { readonly: true });
    await until('Cy to reach Billing', () => billing.prepare('SELECT 1 FROM customers').get() !== undefined);
    billing.close();
    run.kill('SIGTERM');
    await new Promise((r) => run.once('exit', r));
    expect(run.exitCode, err).toBe(0);
    expect(err).toMatch(/WARN .*encrypted with a key kept in .*data\.key \(mode 0600\), because no keychain or vault could store it/);
    expect(fs.statSync(path.join(workspace, 'data.key')).mode & 0o777).toBe(0o600);
    const status = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [bin, 'status', '--workspace', workspace], { env: noKey, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', () => resolve(out));
    });
    expect(status).toMatch(/warning: customer data is sealed with a key kept in this workspace \(data\.key\)/);
    const ws = new Database(path.join(workspace, 'workspace.db'), { readonly: true });
    expect(ws.prepare('SELECT state FROM shadows').all()).toEqual(expect.arrayContaining([{ state: expect.stringMatching(new RegExp(`^${SEALED_PREFIX}`)) }]));
    ws.close();
    expect(err).not.toContain(MARK);
  }, 60_000);
});
