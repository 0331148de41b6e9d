import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { STEP_PAUSE_ENV } from './engine/step-pause.js';
import { exited, REPO_ROOT, sleep, startSynccanvasRun, until, type RuntimeProcess } from './test-support/synccanvas-process.js';

/**
 * An AI feed into rotating JSONL files under SIGKILL (docs/ai-feeds.md): `synccanvas run` from a SQLite
 * CRM into a jsonl-folder, killed right after a target write (before the inbox commit: the batch is
 * sent again) and at random instants (inside an append, a rotation), then run to the end. Every file
 * must hold whole lines only, each write once (by id and by record version), the latest state of each
 * record, and tokens, never the emails or names.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-ai-kill-'));
const feed = path.join(work, 'feed');
const children: RuntimeProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (!process.env.KEEP_TEST_DIRS) fs.rmSync(work, { recursive: true, force: true });
});

const KEY = randomBytes(32).toString('base64');
const env: Record<string, string> = { HOME: path.join(work, 'home'), SYNCCANVAS_SECRET_AI_FEED_TOKEN_KEY: KEY, DBUS_SESSION_BUS_ADDRESS: '' };
const tokenOf = (email: string) => `tok_k1_${createHmac('sha256', Buffer.from(KEY, 'utf8')).update(email.trim().toLowerCase()).digest('base64url')}`;

const crm = new Database(path.join(work, 'crm.db'));
crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, notes TEXT, n INTEGER NOT NULL DEFAULT 0)');
afterAll(() => crm.close());

fs.writeFileSync(
  path.join(work, 'ai.flow.json'),
  JSON.stringify({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'ai-kill',
    name: 'AI feed kill test',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(work, 'crm.db'), pollIntervalMs: 20 } },
      // Small files and a short age: rotations happen all the time, also while being killed.
      { id: 'ai', name: 'AI feed', kind: 'jsonl-folder', config: { folder: feed, entities: ['contacts'], maxFileBytes: 2048, maxFileAgeMs: 150 } },
    ],
    syncs: [
      {
        id: 'feed',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'ai', entity: 'contacts' },
        direction: 'a-to-b',
        matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
        aiFeed: {},
        fields: [
          { a: 'email', b: 'email', owner: 'a', class: 'email', toB: [{ type: 'token', keyRef: 'ai-feed/token-key', keyId: 'k1' }] },
          { a: 'name', b: 'name', owner: 'a', class: 'person-name', toB: [{ type: 'redact' }] },
          { a: 'notes', b: 'notes', owner: 'a', class: 'free-text', toB: [{ type: 'scan', action: 'mask' }] },
          { a: 'n', b: 'n', owner: 'a', class: 'not-sensitive' },
        ],
      },
    ],
  }),
);

const start = (extra: Record<string, string> = {}) => {
  const c = startSynccanvasRun(path.join(work, 'ai.flow.json'), path.join(work, 'ws'), { env: { ...env, ...extra } });
  children.push(c);
  return c;
};

let next = 0;
function change(round: number): void {
  const insert = crm.prepare('INSERT INTO contacts (email, name, notes) VALUES (?, ?, ?)');
  for (let i = 0; i < 6; i++, next++) insert.run(`Person.${next}@Example.com`, `Person ${next} Ünïcode`, `call +1 415 555 ${String(1000 + next).slice(-4)} or mail person.${next}@example.com`);
  crm.prepare(`UPDATE contacts SET n = n + 1, notes = notes || ' again' WHERE id % 3 = ?`).run(round % 3);
}

interface Line {
  id: string;
  op: string;
  key: string;
  fields: { email: string; name: null; notes: string; n: number };
}

function readFeed(): { lines: Line[]; torn: string[] } {
  const lines: Line[] = [];
  const torn: string[] = [];
  for (const f of fs.readdirSync(feed).filter((x) => /\.jsonl(\.part)?$/.test(x)).sort()) {
    const text = fs.readFileSync(path.join(feed, f), 'utf8');
    if (text !== '' && !text.endsWith('\n')) torn.push(f);
    for (const l of text.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
  }
  return { lines, torn };
}

describe('an AI feed into JSONL files, killed at any instant', () => {
  it('holds every write once, whole lines only, the latest state of each record, and tokens instead of emails', async () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist/runtime/cli.js')), 'run `npm run build` first').toBe(true);
    for (let round = 0; round < 8; round++) {
      change(round);
      if (round % 2 === 0) {
        // Killed between the file's fsync and the inbox commit: the same batch comes again.
        const run = start({ [STEP_PAUSE_ENV]: 'apply:after-write:5000' });
        await until('a pause after a target write', () => run.stderrText().includes('paused at apply:after-write'), 60_000);
        run.kill('SIGKILL');
        await exited(run);
      } else {
        const run = start();
        await sleep(150 + Math.floor(Math.random() * 600));
        run.kill('SIGKILL');
        await exited(run);
      }
    }
    const run = start();
    const want = crm.prepare('SELECT email, n FROM contacts ORDER BY id').all() as { email: string; n: number }[];
    const latest = () => {
      const m = new Map<string, number>();
      for (const l of readFeed().lines) if (l.op === 'upsert') m.set(l.key, l.fields.n);
      return m;
    };
    await until('every record in the feed at its latest version', () => want.every((r) => latest().get(tokenOf(r.email)) === r.n), 60_000).catch((e: Error) => {
      const behind = want.filter((r) => latest().get(tokenOf(r.email)) !== r.n).slice(0, 5).map((r) => `${r.email} n=${r.n} feed=${latest().get(tokenOf(r.email))}`);
      const ws = new Database(path.join(work, 'ws', 'workspace.db'), { readonly: true });
      const dlq = ws.prepare('SELECT key, error_class, message FROM dlq LIMIT 3').all();
      const pending = ws.prepare('SELECT count(*) AS n FROM inbox').get();
      ws.close();
      throw new Error(`${e.message}: ${behind.join('; ')}; dlq ${JSON.stringify(dlq)}; inbox ${JSON.stringify(pending)}; runtime said: ${run.stderrText().slice(-1500)}`);
    });
    run.kill('SIGTERM');
    await exited(run);

    const { lines, torn } = readFeed();
    expect(torn).toEqual([]);
    const ids = lines.map((l) => l.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i).slice(0, 5), 'lines written twice').toEqual([]);
    const versions = lines.map((l) => `${l.key} ${l.fields.n}`);
    expect(versions.length - new Set(versions).size, 'a record version written twice').toBe(0);
    expect(new Set(lines.map((l) => l.key)).size).toBe(want.length);
    const all = fs.readdirSync(feed).map((f) => fs.readFileSync(path.join(feed, f), 'utf8')).join('');
    expect(all).not.toMatch(/example\.com|Person \d|\+1 415/i);
    // A new record carries every field; an update only what changed (n and notes here).
    const created = new Set<string>();
    for (const l of lines) {
      if (!created.has(l.key)) {
        created.add(l.key);
        expect(l.fields.email).toBe(l.key);
        expect(l.fields.name).toBeNull();
      }
      expect(l.key).toMatch(/^tok_k1_[A-Za-z0-9_-]{43}$/);
      expect(l.fields.notes).toMatch(/^call \[phone\] or mail \[email\]( again)*$/);
    }
    expect(fs.readdirSync(feed).filter((f) => f.endsWith('.jsonl')).length, 'files rotated').toBeGreaterThan(1);
  }, 240_000);
});
