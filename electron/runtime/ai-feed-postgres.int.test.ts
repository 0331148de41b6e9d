import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { usePostgres, waitFor } from './connectors/postgres/test-support/use-postgres.js';
import { openRuntime, type Runtime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

/**
 * An AI feed into a Postgres table through the whole runtime (docs/ai-feeds.md): a SQLite CRM's
 * contacts arrive with emails as keyed tokens, names redacted, notes scanned and masked, and dates of
 * birth generalized to their month; a contact whose "not sensitive" field holds an email goes to the
 * DLQ instead. Compared in Postgres, against tokens computed here with the key.
 */
const db = usePostgres('aifeed');
const KEY = 'a-postgres-feed-token-key-of-32-bytes-or-more';
const token = (email: string) => `tok_k1_${createHmac('sha256', KEY).update(email.trim().toLowerCase()).digest('base64url')}`;
let dir: string;
let runtime: Runtime;
let target: pg.Client;

const people = [
  { email: 'Ann.Lee@Example.com', name: 'Ann Lee', notes: 'card 4111 1111 1111 1111, call +44 20 7946 0958', dob: '1984-07-09', plan: 'pro' },
  { email: 'bob@example.org', name: "Bob O'Brien", notes: 'no notes', dob: '0044-03-15 BC', plan: 'free' },
  { email: 'zoë@exämple.de', name: 'Zoë', notes: 'IBAN DE89 3704 0044 0532 0130 00', dob: '2001-12-31', plan: 'plan for zoe@example.de' },
];

beforeAll(async () => {
  const { admin, server, database } = db();
  target = admin;
  await target.query('CREATE TABLE ai_contacts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, notes text, birth_month text, plan text)');
  dir = mkdtempSync(join(tmpdir(), 'sc-ai-pg-'));
  const crm = new Database(join(dir, 'crm.db'));
  crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, notes TEXT, dob TEXT, plan TEXT)');
  for (const p of people) crm.prepare('INSERT INTO contacts (email, name, notes, dob, plan) VALUES (?, ?, ?, ?, ?)').run(p.email, p.name, p.notes, p.dob, p.plan);
  crm.close();
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'pg-password': server.password, 'ai/key': KEY }) });
  const saved = await runtime.api['flows.save']({
    flow: {
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'ai-pg',
      name: 'CRM → AI table',
      systems: [
        { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: join(dir, 'crm.db'), pollIntervalMs: 20 } },
        { id: 'pg', name: 'AI table', kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'pg-password' } },
      ],
      syncs: [
        {
          id: 'feed',
          a: { system: 'crm', entity: 'contacts' },
          b: { system: 'pg', entity: 'ai_contacts' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
          aiFeed: {},
          fields: [
            { a: 'email', b: 'email', owner: 'a', class: 'email', toB: [{ type: 'token', keyRef: 'ai/key', keyId: 'k1' }] },
            { a: 'name', b: 'name', owner: 'a', class: 'person-name', toB: [{ type: 'redact' }] },
            { a: 'notes', b: 'notes', owner: 'a', class: 'free-text', toB: [{ type: 'scan' }] },
            { a: 'dob', b: 'birth_month', owner: 'a', class: 'date-of-birth', toB: [{ type: 'generalize', to: 'month' }] },
            { a: 'plan', b: 'plan', owner: 'a', class: 'not-sensitive' },
          ],
        },
      ],
    },
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
  await runtime.api['flows.start']({ flowId: 'ai-pg' });
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an AI feed into a Postgres table', () => {
  test('holds tokens, redacted names, masked notes and months; the record with a stray email is in the DLQ', async () => {
    await waitFor(async () => Number((await target.query('SELECT count(*) AS n FROM ai_contacts')).rows[0].n) === 2, 30_000);
    await waitFor(async () => (await runtime.api['dlq.list']({ filter: { flowId: 'ai-pg' }, limit: 10, offset: 0 })).entries.length === 1, 30_000);
    const want = [
      [token(people[0]!.email), null, 'card [card], call [phone]', '1984-07', 'pro'],
      [token(people[1]!.email), null, 'no notes', '0044-03 BC', 'free'],
    ];
    // Compared by Postgres: every expected row is there, exactly.
    const missing = await target.query(
      `SELECT w.* FROM json_to_recordset($1::json) AS w(email text, name text, notes text, birth_month text, plan text)
        WHERE NOT EXISTS (SELECT 1 FROM ai_contacts t WHERE (t.email, t.name, t.notes, t.birth_month, t.plan) IS NOT DISTINCT FROM (w.email, w.name, w.notes, w.birth_month, w.plan))`,
      [JSON.stringify(want.map(([email, name, notes, birth_month, plan]) => ({ email, name, notes, birth_month, plan })))],
    );
    expect(missing.rows).toEqual([]);
    const leaks = await target.query(`SELECT count(*)::int AS n FROM ai_contacts WHERE concat_ws(' ', email, name, notes, birth_month, plan) ~* '@|4111|7946|DE89|Lee|Brien'`);
    expect(leaks.rows[0].n).toBe(0);
    const [entry] = (await runtime.api['dlq.list']({ filter: { flowId: 'ai-pg' }, limit: 10, offset: 0 })).entries;
    expect(entry!.message).toMatch(/^AI feed scanner: field "plan" holds 1 email at \d+–\d+ unmasked/);
    expect(entry!.message).not.toContain('zoe@');
  }, 60_000);
});
