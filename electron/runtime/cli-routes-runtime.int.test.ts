import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ENDPOINT_FILE } from './api/runtime-endpoint.js';
import { until } from './test-support/synccanvas-process.js';
import { sqlitePeopleFlow } from './test-support/sqlite-people-flow.js';

/**
 * A CLI command on a workspace a runtime holds goes through that runtime's local API (the runtime's
 * audit log names the call), never writes the store behind it; beside a runtime that serves no API
 * (the desktop app) it reads, and refuses to write with what to do instead; once the runtime is
 * gone (even killed, its endpoint file left behind) it works on the workspace itself again.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/synccanvas.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-route-'));
const ws = path.join(work, 'ws');
const children: ChildProcess[] = [];
const env = { ...process.env, SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY: Buffer.alloc(32, 7).toString('base64') };
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(work, { recursive: true, force: true });
});

const flow = sqlitePeopleFlow({
  id: 'route',
  name: 'Route',
  folder: work,
  pollIntervalMs: { crm: 20, billing: 20 },
  direction: 'a-to-b',
  fields: [
    { a: 'email', b: 'contact_email', owner: 'a' },
    { a: 'seats', b: 'seat_count', owner: 'a' },
  ],
  sync: { conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 5000 }, ownershipViolation: 'revert' },
});

function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...args, '--workspace', ws], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => resolve({ code, out, err }));
  });
}

function wsQuery<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(ws, 'workspace.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('the CLI beside a running runtime', () => {
  it('goes through its API, refuses to write behind one that serves none, and works alone once it is gone', async () => {
    expect(fs.existsSync(path.join(root, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    const crm = new Database(path.join(work, 'crm.db'));
    crm.pragma('journal_mode = WAL');
    crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, seats TEXT)');
    new Database(path.join(work, 'billing.db')).exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, seat_count INTEGER)');
    const ins = crm.prepare('INSERT INTO contacts (email, seats) VALUES (?, ?)');
    ins.run('ok@example.com', '3');
    ins.run('dee@example.com', 'viele');
    ins.run("o'hara@example.com", '½');
    ins.run('zoë@example.com', '2 🚀');
    const flowFile = path.join(work, 'route.flow.json');
    fs.writeFileSync(flowFile, JSON.stringify(flow));

    const run = spawn(process.execPath, [bin, 'run', flowFile, '--workspace', ws], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(run);
    let log = '';
    run.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until('the runtime to publish its local API', () => fs.existsSync(path.join(ws, ENDPOINT_FILE)));
    expect(fs.statSync(path.join(ws, ENDPOINT_FILE)).mode & 0o777).toBe(0o600);
    let entries: { id: number; key: string }[] = [];
    await until('three entries in the DLQ', async () => {
      const r = await cli('dlq', 'list', '--json');
      if (r.code === 0) entries = (JSON.parse(r.out) as { entries: typeof entries }).entries;
      return entries.length === 3;
    });

    // Through the runtime: its audit log names the call, and the lock is still the runtime's.
    const status = JSON.parse((await cli('status', '--json')).out) as { runtimePid: number; flows: { running: boolean }[] };
    expect(status.runtimePid).toBe(run.pid);
    expect(status.flows[0]!.running).toBe(true);
    const discard = await cli('dlq', 'discard', String(entries[0]!.id), '--json');
    expect(discard.code, discard.err).toBe(0);
    expect(JSON.parse(discard.out)).toEqual({ discarded: 1 });
    expect(wsQuery<{ method: string; ok: number }>('SELECT method, ok FROM audit_log ORDER BY id')).toEqual([{ method: 'dlq.discard', ok: 1 }]);
    expect(wsQuery('SELECT id FROM dlq_discarded')).toEqual([{ id: entries[0]!.id }]);
    const undo = await cli('dlq', 'undo', String(entries[0]!.id), '--json');
    expect(JSON.parse(undo.out)).toEqual({ restored: 1, expired: [] });
    expect(wsQuery<{ method: string }>('SELECT method FROM audit_log ORDER BY id').map((r) => r.method)).toEqual(['dlq.discard', 'dlq.undoDiscard']);
    expect(fs.readFileSync(path.join(ws, 'runtime.lock'), 'utf8').trim()).toBe(String(run.pid));

    // A runtime that serves no API (as the desktop app's): reads still work, writes are refused and change nothing.
    const endpoint = fs.readFileSync(path.join(ws, ENDPOINT_FILE));
    fs.rmSync(path.join(ws, ENDPOINT_FILE));
    const refused = await cli('dlq', 'discard', '--all');
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(new RegExp(`a SyncCanvas runtime \\(pid ${run.pid}\\) holds the workspace .* serves no local API .*: do it in the app, or stop that runtime`));
    const resolveRefused = await cli('dlq', 'resolve', String(entries[1]!.id), '--keep', 'a');
    expect(resolveRefused.code).toBe(3);
    expect(wsQuery('SELECT COUNT(*) AS n FROM dlq')).toEqual([{ n: 3 }]);
    expect(wsQuery('SELECT COUNT(*) AS n FROM dlq_discarded')).toEqual([{ n: 0 }]);
    const read = await cli('dlq', 'list', '--json');
    expect(read.code, read.err).toBe(0);
    expect((JSON.parse(read.out) as { total: number }).total).toBe(3);
    const readStatus = JSON.parse((await cli('status', '--json')).out) as { runtimePid: number; flows: { running: boolean }[] };
    expect(readStatus).toMatchObject({ runtimePid: run.pid, flows: [{ running: true }] });

    // Killed, its endpoint file left behind: the file names a dead pid and is ignored.
    fs.writeFileSync(path.join(ws, ENDPOINT_FILE), endpoint, { mode: 0o600 });
    run.kill('SIGKILL');
    await new Promise((r) => (run.exitCode !== null || run.signalCode !== null ? r(null) : run.once('exit', r)));
    const alone = await cli('dlq', 'discard', String(entries[1]!.id), '--json');
    expect(alone.code, alone.err).toBe(0);
    expect(JSON.parse(alone.out)).toEqual({ discarded: 1 });
    // Not through an API this time: nothing new in the audit log, and the lock was given back.
    expect(wsQuery('SELECT COUNT(*) AS n FROM audit_log')).toEqual([{ n: 2 }]);
    expect(fs.existsSync(path.join(ws, 'runtime.lock'))).toBe(false);
    expect(log).not.toContain('viele');
    crm.close();
  }, 60_000);
});
