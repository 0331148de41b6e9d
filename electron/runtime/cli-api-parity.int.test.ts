import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethod, ApiOutputs } from '../../shared/api/contract.js';
import { ApiError } from './api/handlers.js';
import { httpApiCaller } from './api/http-client.js';
import { startHttpServer } from './api/http-server.js';
import { main } from './cli.js';
import { openRuntime } from './runtime.js';
import { DISCARD_UNDO_WINDOW_MS } from './store/dlq-discards.js';
import { until } from './test-support/synccanvas-process.js';
import { sqlitePeopleFlow } from './test-support/sqlite-people-flow.js';

/**
 * Every operation the CLI shares with the app, run through both on one workspace, compared: the
 * API over its real HTTP transport (a runtime opened for the call), the CLI in its own path (no
 * runtime: the workspace opened under its lock). Each write is made once each way, on twin entries
 * (two records that failed alike), and its effect compared in the store and in the systems, read
 * with SQLite itself. The undo window of a discard included, whichever side discarded.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-parity-'));
const ws = path.join(dir, 'ws');
let crm: Database.Database;
let billing: Database.Database;

const flow = sqlitePeopleFlow({
  id: 'parity',
  name: 'Parity — CRM ↔ Billing',
  folder: dir,
  pollIntervalMs: { crm: 10, billing: 10 },
  direction: 'both',
  fields: [
    { a: 'email', b: 'contact_email', owner: 'a' },
    { a: 'name', b: 'full_name', owner: 'a' },
    { a: 'seats', b: 'seat_count', owner: 'b' },
    { a: 'notes', b: 'memo', owner: 'shared' },
  ],
  sync: { conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 5000 }, ownershipViolation: 'revert' },
});

/** One API call through the HTTP transport of a runtime opened for it (and closed after: the CLI needs the lock next). */
async function api<M extends ApiMethod>(method: M, input: unknown): Promise<ApiOutputs[M]> {
  const runtime = await openRuntime({ workspaceDir: ws, resume: false });
  const server = await startHttpServer({ handlers: runtime.api, users: runtime.store.users, audit: (e) => runtime.store.audit.add(e) });
  try {
    return await httpApiCaller(`http://127.0.0.1:${server.port}/`, server.token)(method, input);
  } finally {
    await server.close();
    await runtime.close({ drainMs: 0 });
  }
}

async function apiError(method: ApiMethod, input: unknown): Promise<ApiError> {
  const e = await api(method, input).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--workspace', ws], { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

async function cliJson(...args: string[]): Promise<unknown> {
  const r = await cli(...args, '--json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
}

/** The workspace database, read by SQLite (closed after each look: the runtime and the CLI open it between). */
function wsQuery<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(ws, 'workspace.db'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const dlqRow = (id: number) => wsQuery<Record<string, unknown>>('SELECT * FROM dlq WHERE id = ?', id)[0] ?? null;

let validation: { id: number; key: string; inboxSeq: number }[] = [];
let conflicts: { id: number; key: string }[] = [];

beforeAll(async () => {
  crm = new Database(path.join(dir, 'crm.db'));
  crm.pragma('journal_mode = WAL');
  crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, name TEXT, seats INTEGER, notes TEXT)');
  billing = new Database(path.join(dir, 'billing.db'));
  billing.pragma('journal_mode = WAL');
  billing.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, full_name TEXT, seat_count TEXT, memo TEXT)');
  const people = [
    ['zoë@example.com', 'Zoë Ñúñez'],
    ["o'brien@example.com", "Seán O'Brien"],
    ['li@example.com', '李 雷'],
    ['emoji@example.com', 'Ann 🚀'],
    ['quote@example.com', 'Bob "the" Builder'],
    ['tab@example.com', 'Tab\tName'],
    ['c1@example.com', 'Cee One'],
    ['c2@example.com', 'Cee Two'],
  ];
  people.forEach(([email, name], i) => crm.prepare('INSERT INTO contacts (id, email, name) VALUES (?, ?, ?)').run(i + 1, email, name));
  const runtime = await openRuntime({ workspaceDir: ws, resume: false });
  try {
    expect((await runtime.api['flows.save']({ flow })).ok).toBe(true);
    await runtime.api['flows.start']({ flowId: 'parity' });
    await until('everyone in Billing', () => (billing.prepare('SELECT COUNT(*) AS n FROM customers').get() as { n: number }).n === people.length);
    // Seat counts no INTEGER column takes: each one's change back to the CRM is dead-lettered.
    const seats = ['drei', '3½', 'seven 🚀', "1'000", '12 seats', 'NULL'];
    seats.forEach((s, i) => billing.prepare('UPDATE customers SET seat_count = ? WHERE contact_email = ?').run(s, people[i]![0]));
    await until('six validation entries', async () => (await runtime.api['dlq.list']({ filter: { errorClass: 'validation' }, limit: 100, offset: 0 })).total === 6);
    // Both sides edit the shared notes of two people while the flow is stopped: two conflicts.
    await runtime.api['flows.stop']({ flowId: 'parity' });
    for (const [email, a, b] of [
      ['c1@example.com', 'VIP — call first', 'Pays by transfer'],
      ['c2@example.com', 'Prefers «email»', 'Überweisung; 30 Tage'],
    ] as const) {
      crm.prepare('UPDATE contacts SET notes = ? WHERE email = ?').run(a, email);
      billing.prepare('UPDATE customers SET memo = ? WHERE contact_email = ?').run(b, email);
    }
    await runtime.api['flows.start']({ flowId: 'parity' });
    await until('two conflicts', async () => (await runtime.api['dlq.list']({ filter: { errorClass: 'conflict' }, limit: 100, offset: 0 })).total === 2);
    await runtime.api['flows.stop']({ flowId: 'parity' });
    const all = await runtime.api['dlq.list']({ filter: {}, limit: 100, offset: 0 });
    validation = all.entries.filter((e) => e.errorClass === 'validation').map((e) => ({ id: e.id, key: e.key, inboxSeq: (dlqRowOf(runtime.store, e.id) ?? 0) }));
    conflicts = all.entries.filter((e) => e.errorClass === 'conflict').map((e) => ({ id: e.id, key: e.key }));
  } finally {
    await runtime.close({ drainMs: 0 });
  }
  expect(validation).toHaveLength(6);
  expect(conflicts).toHaveLength(2);
}, 60_000);

function dlqRowOf(store: { dlq: { select(sel: { ids: number[] }): { inboxSeq: number | null }[] } }, id: number): number | null {
  return store.dlq.select({ ids: [id] })[0]?.inboxSeq ?? null;
}

afterAll(() => {
  crm?.close();
  billing?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the CLI and the API: one implementation of every shared operation', () => {
  it('status: the same flows, counters, depths and health', async () => {
    const viaCli = (await cliJson('status')) as { runtimePid: number | null; flows: unknown[] };
    expect(viaCli.runtimePid).toBeNull();
    expect(viaCli.flows).toEqual(await api('status.get', {}));
    expect(viaCli.flows).toMatchObject([{ flowId: 'parity', running: false, dlqDepth: 8 }]);
  });

  it('dlq list and show: the same entries, filters and detail', async () => {
    expect(await cliJson('dlq', 'list', '--limit', '100')).toEqual(await api('dlq.list', { limit: 100 }));
    expect(await cliJson('dlq', 'list', '--class', 'conflict')).toEqual(await api('dlq.list', { filter: { errorClass: 'conflict' }, limit: 50 }));
    expect(await cliJson('dlq', 'list', '--text', 'drei')).toEqual(await api('dlq.list', { filter: { text: 'drei' }, limit: 50 }));
    expect(await cliJson('dlq', 'show', String(conflicts[0]!.id))).toEqual(await api('dlq.get', { id: conflicts[0]!.id }));
    // Missing: the same message either way.
    const missing = await cli('dlq', 'show', '999999');
    expect(missing.code).toBe(1);
    expect(missing.err.trim()).toBe(`synccanvas: ${(await apiError('dlq.get', { id: 999999 })).message}`);
  });

  it('discard keeps the entry for the undo window, whichever side discarded it, and either side undoes it', async () => {
    const [v1, v2] = validation;
    const before = [dlqRow(v1!.id), dlqRow(v2!.id)];
    const t0 = Date.now();
    expect(await cliJson('dlq', 'discard', String(v1!.id))).toEqual({ discarded: 1 });
    expect(await api('dlq.discard', { ids: [v2!.id] })).toEqual({ discarded: 1 });
    // Both moved aside alike: out of the DLQ, kept whole with the time of the discard.
    expect(wsQuery('SELECT id FROM dlq WHERE id IN (?, ?)', v1!.id, v2!.id)).toEqual([]);
    const kept = wsQuery<{ id: number; discarded_at: number }>('SELECT id, discarded_at FROM dlq_discarded WHERE id IN (?, ?) ORDER BY id', v1!.id, v2!.id);
    expect(kept.map((k) => k.id)).toEqual([v1!.id, v2!.id].sort((a, b) => a - b));
    for (const k of kept) expect(k.discarded_at).toBeGreaterThanOrEqual(t0);
    // The API undoes the CLI's discard, the CLI the API's: both come back exactly as they were.
    expect(await api('dlq.undoDiscard', { ids: [v1!.id] })).toEqual({ restored: 1, expired: [] });
    expect(await cliJson('dlq', 'undo', String(v2!.id))).toEqual({ restored: 1, expired: [] });
    expect([dlqRow(v1!.id), dlqRow(v2!.id)]).toEqual(before);
  });

  it('an undo after the window restores nothing, with the same answer either way', async () => {
    const [, , v3, v4] = validation;
    expect(await cliJson('dlq', 'discard', String(v3!.id))).toEqual({ discarded: 1 });
    expect(await api('dlq.discard', { ids: [v4!.id] })).toEqual({ discarded: 1 });
    // Age both discards past the window.
    const db = new Database(path.join(ws, 'workspace.db'));
    db.prepare('UPDATE dlq_discarded SET discarded_at = discarded_at - ? WHERE id IN (?, ?)').run(DISCARD_UNDO_WINDOW_MS + 1000, v3!.id, v4!.id);
    db.close();
    const viaCli = await cli('dlq', 'undo', String(v4!.id), '--json');
    expect(viaCli.code).toBe(1);
    expect(JSON.parse(viaCli.out)).toEqual(await api('dlq.undoDiscard', { ids: [v3!.id] }).then((r) => ({ ...r, expired: [v4!.id] })));
    expect(JSON.parse(viaCli.out)).toEqual({ restored: 0, expired: [v4!.id] });
    expect(wsQuery('SELECT id FROM dlq WHERE id IN (?, ?)', v3!.id, v4!.id)).toEqual([]);
  });

  it('replay puts each entry back at its old inbox position, and skips conflicts, either way', async () => {
    const [v1, v2] = validation;
    expect(await cliJson('dlq', 'replay', String(v1!.id))).toEqual({ replayed: 1 });
    expect(await api('dlq.replay', { ids: [v2!.id] })).toEqual({ replayed: 1 });
    const back = wsQuery<{ seq: number; key: string; sync_id: string; direction: string }>('SELECT seq, key, sync_id, direction FROM inbox WHERE seq IN (?, ?) ORDER BY seq', v1!.inboxSeq, v2!.inboxSeq);
    expect(back.map((r) => [r.seq, r.key, r.sync_id, r.direction])).toEqual(
      [v1!, v2!].sort((a, b) => a.inboxSeq - b.inboxSeq).map((v) => [v.inboxSeq, v.key, 'people', 'b-to-a']),
    );
    expect(wsQuery('SELECT id FROM dlq WHERE id IN (?, ?)', v1!.id, v2!.id)).toEqual([]);
    // A conflict is settled by choosing a value: a replay leaves it where it is.
    expect(await cliJson('dlq', 'replay', String(conflicts[0]!.id))).toEqual({ replayed: 0 });
    expect(await api('dlq.replay', { ids: [conflicts[1]!.id] })).toEqual({ replayed: 0 });
    expect(wsQuery('SELECT COUNT(*) AS n FROM dlq WHERE error_class = ?', 'conflict')).toEqual([{ n: 2 }]);
  });

  it('resolve writes the chosen value to both systems and settles the entry, either way; refusals read the same', async () => {
    const notConflict = validation[4]!.id;
    const refused = await cli('dlq', 'resolve', String(notConflict), '--keep', 'a');
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toBe(`synccanvas: ${(await apiError('conflicts.resolve', { id: notConflict, keep: 'a' })).message}`);

    const [c1, c2] = conflicts;
    expect(await cliJson('dlq', 'resolve', String(c1!.id), '--keep', 'a')).toEqual({ ok: true });
    expect(await api('conflicts.resolve', { id: c2!.id, keep: 'a' })).toEqual({ ok: true });
    // In the systems: the CRM's notes won on both records, on both sides (compared by SQLite).
    crm.exec(`ATTACH DATABASE '${path.join(dir, 'billing.db').replaceAll("'", "''")}' AS billing`);
    try {
      const pairs = crm
        .prepare('SELECT c.email, c.notes, b.memo FROM contacts c JOIN billing.customers b ON lower(trim(b.contact_email)) = lower(trim(c.email)) WHERE c.email IN (?, ?) ORDER BY c.email')
        .all('c1@example.com', 'c2@example.com');
      expect(pairs).toEqual([
        { email: 'c1@example.com', notes: 'VIP — call first', memo: 'VIP — call first' },
        { email: 'c2@example.com', notes: 'Prefers «email»', memo: 'Prefers «email»' },
      ]);
      expect(crm.prepare('SELECT COUNT(*) AS n FROM contacts c JOIN billing.customers b ON lower(b.contact_email) = lower(c.email) WHERE c.email IN (?, ?) AND c.notes IS NOT b.memo').get('c1@example.com', 'c2@example.com')).toEqual({ n: 0 });
    } finally {
      crm.exec('DETACH DATABASE billing');
    }
    // In the workspace: both entries settled; a second resolve of either is refused alike.
    expect(wsQuery('SELECT COUNT(*) AS n FROM dlq WHERE error_class = ?', 'conflict')).toEqual([{ n: 0 }]);
    const resolvedAgain = await cli('dlq', 'resolve', String(c1!.id), '--keep', 'b');
    expect(resolvedAgain.code).toBe(1);
    expect(resolvedAgain.err.trim()).toBe(`synccanvas: ${(await apiError('conflicts.resolve', { id: c2!.id, keep: 'b' })).message.replace(String(c2!.id), String(c1!.id))}`);
  });
});
