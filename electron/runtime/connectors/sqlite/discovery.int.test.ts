import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteConnector } from './definition.js';
import { capture, connectorFor, recorder, tempDb, type TempDb } from './test-fixtures.js';

const SCHEMA = `
CREATE TABLE contacts(id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, score REAL, active BOOLEAN, born DATE, seen_at DATETIME, meta JSON, photo BLOB, misc);
CREATE TABLE logs(at TEXT, line TEXT);
CREATE TABLE pairs(a TEXT, b TEXT, PRIMARY KEY (a, b));
CREATE VIEW contact_emails AS SELECT email FROM contacts;
`;

let t: TempDb;
afterEach(() => t?.cleanup());

describe('sqlite discovery and reads', () => {
  it('reports the allowed-values rule of a column (CHECK … IN) so the preview can flag a value it refuses', async () => {
    t = tempDb(`CREATE TABLE customers(id INTEGER PRIMARY KEY, plan_code TEXT CHECK (plan_code IN ('basic', 'pro')), name TEXT);`);
    const c = connectorFor(t);
    const [customers] = await c.discover();
    expect(customers!.fields.find((f) => f.name === 'plan_code')!.allowedValues).toEqual(['basic', 'pro']);
    expect(customers!.fields.find((f) => f.name === 'name')!.allowedValues).toBeUndefined();
    await c.close();
  });

  it('lists syncable tables with mapped types, nullability and key, without our own tables', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    await capture(c, recorder(), ['contacts']).then((h) => h.stop()); // creates _synccanvas_* tables
    const entities = await c.discover();
    expect(entities.map((e) => e.name)).toEqual(['contacts']);
    const contacts = entities[0]!;
    expect(contacts.keyField).toBe('id');
    expect(contacts.fields.map((f) => [f.name, f.type, f.nullable, f.primaryKey])).toEqual([
      ['id', 'integer', false, true],
      ['email', 'string', false, false],
      ['score', 'number', true, false],
      ['active', 'boolean', true, false],
      ['born', 'date', true, false],
      ['seen_at', 'datetime', true, false],
      ['meta', 'json', true, false],
      ['photo', 'unknown', true, false],
      ['misc', 'unknown', true, false],
    ]);
    expect(contacts.fields[1]!.nativeType).toBe('VARCHAR(200)');
    await c.close();
  });

  it('reads samples, records by key and records by normalized field', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email, photo) VALUES (1, ' Ann@X.com', x'01'), (2, 'bob@x.com', NULL), (3, 'cy@x.com', NULL)`);
    const c = connectorFor(t);
    expect((await c.readSamples('contacts', 2)).map((r) => r.key)).toEqual(['1', '2']);
    const byKey = await c.readByKeys('contacts', ['3', '1', '404']);
    expect(byKey.map((r) => r.key)).toEqual(['1', '3']);
    expect(byKey[0]!.fields).toMatchObject({ id: 1, email: ' Ann@X.com', photo: { $blob: '01' } });
    expect((await c.findByField('contacts', 'email', ['ann@x.com', null, 'BOB@X.COM'], 'lowercase-trim')).map((r) => r.key)).toEqual(['1', '2']);
    expect((await c.findByField('contacts', 'email', ['ann@x.com', 'bob@x.com'], 'exact')).map((r) => r.key)).toEqual(['2']);
    await expect(c.findByField('contacts', 'mail', ['x'], 'exact')).rejects.toThrow(/column "mail" does not exist in table "contacts"/);
    await expect(c.readSamples('nope', 1)).rejects.toThrow(/table "nope" does not exist/);
    await expect(c.readByKeys('logs', ['1'])).rejects.toThrow(/no primary key/);
    await c.close();
  });

  it('limits discovery to the tables setting and names a table that is not there', async () => {
    t = tempDb(SCHEMA);
    expect((await connectorFor(t, { tables: ['contacts'] }).discover()).map((e) => e.name)).toEqual(['contacts']);
    await expect(connectorFor(t, { tables: ['contacts', 'customers'] }).discover()).rejects.toThrow(/table "customers" from the "tables" setting does not exist in test.db: fix the name \(tables here: contacts, logs, pairs\)/);
  });
});

describe('sqlite connection test', () => {
  it('passes every check on a good database and does not change it', async () => {
    t = tempDb(SCHEMA);
    const result = await connectorFor(t).testConnection();
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['file', true],
      ['open', true],
      ['database', true],
      ['tables', true],
      ['writable', true],
    ]);
    expect(result.ok).toBe(true);
    expect(result.message).toMatch(/1 table ready to sync; skipped: table "logs" has no primary key/);
    expect(t.outside.prepare(`SELECT count(*) FROM sqlite_schema WHERE name LIKE '_synccanvas%'`).pluck().get()).toBe(0);
  });

  it('says what to fix: missing file, not a database, table without a primary key, a locked file', async () => {
    t = tempDb(SCHEMA);
    const missing = await connectorFor(t, { path: 'nope.db' }).testConnection();
    expect(missing.ok).toBe(false);
    expect(missing.message).toContain(`no database file at ${path.join(t.dir, 'nope.db')}`);

    fs.writeFileSync(path.join(t.dir, 'notes.txt'), 'these are my notes, not a database '.repeat(50));
    const notDb = await connectorFor(t, { path: 'notes.txt' }).testConnection();
    expect(notDb.checks.at(-1)).toMatchObject({ name: 'database', ok: false });
    expect(notDb.message).toMatch(/is not a SQLite database/);

    const noKey = await connectorFor(t, { tables: ['contacts', 'pairs'] }).testConnection();
    expect(noKey.ok).toBe(false);
    expect(noKey.message).toMatch(/composite primary key \(a, b\).*single-column primary key/);

    t.outside.exec('BEGIN IMMEDIATE');
    const locked = await connectorFor(t).testConnection();
    t.outside.exec('ROLLBACK');
    expect(locked.checks.at(-1)).toMatchObject({ name: 'writable', ok: false });
    expect(locked.message).toMatch(/locked for writing: close it/);
  });

  it('fails discovery on a file that is not a database with a sentence', async () => {
    t = tempDb(SCHEMA);
    fs.writeFileSync(path.join(t.dir, 'notes.txt'), 'plain text '.repeat(100));
    await expect(connectorFor(t, { path: 'notes.txt' }).discover()).rejects.toThrow(/notes.txt is not a SQLite database: point "path" at a .db or .sqlite file/);
    await expect(connectorFor(t, { path: 'gone.db' }).discover()).rejects.toThrow(/no database file at .*gone.db/);
  });
});

describe('sqlite config', () => {
  const create = (config: unknown) => () => sqliteConnector.create({ config: config as never, secrets: {}, flowId: 'f', systemId: 's', dataDir: '/tmp' });

  it('applies defaults and resolves a relative path against the data folder', () => {
    const parsed = sqliteConnector.configSchema.parse({ path: 'crm.db' });
    expect(parsed).toEqual({ path: 'crm.db', pollIntervalMs: 50 });
    expect(sqliteConnector.pollIntervalMs?.(parsed)).toBe(50);
  });

  it('rejects bad settings with the field and the fix', () => {
    expect(create({})).toThrow(/path: is missing: give the path of the SQLite database file/);
    expect(create({ path: 'a.db', pollIntervalMs: 5 })).toThrow(/pollIntervalMs: must be at least 10 ms/);
    expect(create({ path: 'a.db', pollInterval: 100 })).toThrow(/pollInterval/);
    expect(create({ path: 'a.db', tables: [] })).toThrow(/tables: list at least one table/);
  });
});
