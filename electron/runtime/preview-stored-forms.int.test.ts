import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema, type FlowDocument } from '../../shared/flow/schema.js';
import { openSystem, type OpenedSystem } from './connectors/system-connections.js';
import { usePostgres } from './connectors/postgres/test-support/use-postgres.js';
import { runPreview } from './preview-runner.js';
import { MemorySecretStore } from './secrets/memory-store.js';
import { openStoreDatabase } from './store/database.js';
import { Store } from './store/store.js';

/**
 * Issue 12: the mapping preview shows each value as the target itself would store it, and a value
 * the target would refuse makes the row Invalid with the target's reason, before anything is written.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-stored-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const db = usePostgres('stored_forms');
const store = new Store(openStoreDatabase(':memory:'));

function sqliteFile(name: string, sql: string): string {
  const file = path.join(dir, name);
  const d = new Database(file);
  d.exec(sql);
  d.close();
  return file;
}

const crm = sqliteFile(
  'crm.db',
  `CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, score INTEGER, ratio TEXT, big TEXT);
   INSERT INTO people VALUES (1, 'ada@example.com', 1, '0.5', '12');
   INSERT INTO people VALUES (2, 'bob@example.com', 2, '0.1000000000000000055511151231257827', '12');
   INSERT INTO people VALUES (3, 'cy@example.com', 3, '0.25', '99999999999999999999');`,
);

function flowTo(target: { kind: string; config: unknown; secretRefs?: Record<string, string> }, entity: string): FlowDocument {
  return FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'f',
    name: 'f',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: crm } },
      { id: 'target', name: 'Target', ...target },
    ],
    syncs: [
      {
        id: 's',
        a: { system: 'crm', entity: 'people' },
        b: { system: 'target', entity },
        direction: 'a-to-b',
        matchKey: { a: 'email', b: 'email', normalize: 'exact' },
        fields: ['email', 'score', 'ratio', 'big'].map((f) => ({ a: f, b: f, owner: 'a' })),
      },
    ],
  });
}

async function preview(flow: FlowDocument, secrets = new MemorySecretStore({})) {
  const systems = new Map<string, OpenedSystem>();
  for (const s of flow.systems) systems.set(s.id, await openSystem(flow, s, secrets, dir));
  try {
    const result = await runPreview(flow, 's', 10, store, systems);
    return new Map(result.rows.map((r) => [r.sourceKey, r]));
  } finally {
    await Promise.all([...systems.values()].map((o) => o.connector.close()));
  }
}

describe('preview shows stored values', () => {
  it('SQLite target: each value with its storage class; what a column would round is Invalid, nothing written', async () => {
    const billing = sqliteFile('billing.db', 'CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, score TEXT, ratio REAL, big INTEGER)');
    const rows = await preview(flowTo({ kind: 'sqlite', config: { path: billing } }, 'people'));
    const ada = rows.get('1')!;
    expect(ada.action).toBe('create');
    // A whole number into a TEXT column is stored as '1', never '1.0'; text into REAL becomes a REAL.
    expect(Object.fromEntries(ada.changes.map((c) => [c.field, c.stored]))).toEqual({ email: "'ada@example.com' (text)", score: "'1' (text)", ratio: '0.5 (real)', big: '12 (integer)' });
    expect(rows.get('2')).toMatchObject({ action: 'invalid', reason: expect.stringMatching(/column "ratio" \(REAL\) cannot hold .*0\.1000000000000000055511151231257827.* exactly/) });
    expect(rows.get('3')).toMatchObject({ action: 'invalid', reason: expect.stringMatching(/column "big" \(INTEGER\) cannot hold .*99999999999999999999.* exactly/) });
    const after = new Database(billing, { readonly: true });
    expect(after.prepare('SELECT count(*) FROM people').pluck().get()).toBe(0);
    expect(after.prepare("SELECT count(*) FROM sqlite_temp_schema").pluck().get()).toBe(0);
    after.close();
  });

  describe('Postgres target', () => {
    beforeAll(async () => {
      await db().admin.query('CREATE TABLE people (id serial PRIMARY KEY, email text UNIQUE, score smallint, ratio double precision, big numeric(5,1))');
    });

    it('as Postgres prints the value in the column: its own rounding shows; a value it refuses is Invalid with its reason', async () => {
      const { server, database, password, admin } = db();
      const rows = await preview(
        flowTo({ kind: 'postgres', config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }, secretRefs: { password: 'pw' } }, 'people'),
        new MemorySecretStore({ pw: password }),
      );
      expect(Object.fromEntries(rows.get('1')!.changes.map((c) => [c.field, c.stored]))).toEqual({ email: 'ada@example.com', score: '1', ratio: '0.5', big: '12.0' });
      // The long decimal fits a double only rounded: shown as Postgres would store it.
      expect(rows.get('2')!.changes.find((c) => c.field === 'ratio')?.stored).toBe('0.1');
      expect(rows.get('3')).toMatchObject({ action: 'invalid', reason: expect.stringMatching(/column "big" \(numeric\(5,1\)\) cannot take "99999999999999999999": numeric field overflow/) });
      expect((await admin.query('SELECT count(*)::int AS n FROM people')).rows[0].n).toBe(0);
    });
  });
});
