import { afterEach, describe, expect, it } from 'vitest';
import type { WriteOp } from '../types.js';
import { openUserDatabase } from './database.js';
import { SchemaCache } from './table-schema.js';
import { connectorFor, tempDb, type TempDb } from './test-fixtures.js';
import { SqliteWriter } from './writer.js';

const SCHEMA = `
CREATE TABLE contacts(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT NOT NULL DEFAULT '', phone TEXT, deleted_at TEXT);
CREATE TABLE codes(code TEXT PRIMARY KEY, label TEXT);
`;
const ORIGIN = 'synccanvas:flow1';

function upsert(key: string | null, fields: Record<string, unknown>, extra: Partial<Extract<WriteOp, { kind: 'upsert' }>> = {}): WriteOp {
  return { kind: 'upsert', key, fields, idempotencyKey: `k-${key}-${JSON.stringify(fields)}`, sourceTime: 1_700_000_000_000, ...extra };
}

let t: TempDb;
afterEach(() => t?.cleanup());

const rows = () => t.outside.prepare('SELECT id, email, name, phone, deleted_at FROM contacts ORDER BY id').all();
const logCount = () => t.outside.prepare('SELECT count(*) FROM _synccanvas_changes').pluck().get() as number;

describe('sqlite writes', () => {
  it('upserts by key idempotently: the same op twice leaves the same state and logs no second change', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    await c.startCapture({ entities: ['contacts'], checkpoint: null, sink: async () => {}, signal: AbortSignal.abort() }).then((h) => h.stop());
    const op = upsert('10', { email: 'a@x.com', name: 'Ann', id: 999 });
    // The version is the change-log id the write produced; a write that changes nothing produces none.
    expect(await c.write('contacts', [op], ORIGIN)).toEqual([{ ok: true, key: '10', created: true, version: 1 }]);
    const once = rows();
    const logged = logCount();
    expect(await c.write('contacts', [op], ORIGIN)).toEqual([{ ok: true, key: '10' }]);
    expect(rows()).toEqual(once);
    expect(logCount()).toBe(logged);
    expect(once).toEqual([{ id: 10, email: 'a@x.com', name: 'Ann', phone: null, deleted_at: null }]);

    expect(await c.write('contacts', [upsert('10', { phone: '555' })], ORIGIN)).toEqual([{ ok: true, key: '10', version: 2 }]);
    expect(rows()).toEqual([{ id: 10, email: 'a@x.com', name: 'Ann', phone: '555', deleted_at: null }]);
    await c.close();
  });

  it('a write with expected values (a write-back) only lands while the row still holds them; otherwise it is stale', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email, name, phone) VALUES (1, 'a@x.com', 'seen', NULL), (2, 'b@x.com', 'edited since', NULL), (3, 'c@x.com', 'owner', NULL)`);
    const c = connectorFor(t);
    const back = (key: string) => upsert(key, { name: 'owner' }, { ifMissing: 'skip', expect: { name: 'seen', phone: null } });
    expect(await c.write('contacts', [back('1'), back('2'), back('3'), back('9')], ORIGIN)).toEqual([
      { ok: true, key: '1' },
      // An edit made since the change we answer: it stands.
      { ok: true, key: '2', note: 'stale' },
      // Already holding the value (a replay): done.
      { ok: true, key: '3' },
      { ok: true, key: '9', note: 'not-found' },
    ]);
    expect(rows().map((r) => (r as { name: string }).name)).toEqual(['owner', 'edited since', 'owner']);
    await c.close();
  });

  it('finds records by normalized or exact email (the engine\'s one read per batch); a keyless op creates, never re-matches', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email, name) VALUES (3, '  Jane.Doe@Example.COM ', 'Jane'), (4, 'JANE.DOE@example.com', 'J')`);
    const c = connectorFor(t);
    const found = async (normalize: 'exact' | 'lowercase-trim', ...values: string[]) => (await c.findByField('contacts', 'email', values, normalize)).map((r) => r.key).sort();
    expect(await found('lowercase-trim', 'jane.doe@example.com', 'nobody@x.com')).toEqual(['3', '4']);
    // exact matching does not fold case
    expect(await found('exact', 'JANE.DOE@example.com')).toEqual(['4']);
    // The engine found no record it may take (e.g. both are linked to other records): the writer
    // creates one and does not look for a match of its own, which would take one of them over.
    const match = { field: 'email', value: 'jane.doe@example.com', normalize: 'lowercase-trim' as const };
    const res = await c.write('contacts', [upsert(null, { email: 'jane.doe@example.com', name: 'Third' }, { match })], ORIGIN);
    expect(res).toEqual([{ ok: true, key: '5', created: true }]);
    expect((rows() as Record<string, unknown>[]).map((r) => [r.id, r.email, r.name])).toEqual([
      [3, '  Jane.Doe@Example.COM ', 'Jane'],
      [4, 'JANE.DOE@example.com', 'J'],
      [5, 'jane.doe@example.com', 'Third'],
    ]);
    // A match column the table lacks is the mapping's fault: reported, nothing written.
    const wrong = await c.write('contacts', [upsert(null, { name: 'X' }, { match: { ...match, field: 'mail' } })], ORIGIN);
    expect(wrong[0]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringContaining('match column "mail" does not exist') } });
    expect(rows()).toHaveLength(3);
    await c.close();
  });

  it('writes insertOnly values when it creates the row and ignores them on update', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email, name) VALUES (1, 'old@x.com', 'Old')`);
    const c = connectorFor(t);
    const match = (email: string) => ({ field: 'email', value: email, normalize: 'lowercase-trim' as const });
    const res = await c.write(
      'contacts',
      [
        upsert(null, { phone: '1' }, { match: match('new@x.com'), insertOnly: { email: 'new@x.com', name: 'Seeded', phone: 'ignored: fields win' } }),
        // Found by the engine's match: addressed by its key.
        upsert('1', { phone: '2' }, { ifMissing: 'skip', insertOnly: { email: 'other@x.com', name: 'Not used' } }),
        upsert('9', { phone: '3' }, { insertOnly: { nope: 1 } }),
      ],
      ORIGIN,
    );
    expect(res[0]).toEqual({ ok: true, key: '2', created: true });
    expect(res[1]).toEqual({ ok: true, key: '1' });
    expect(res[2]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringContaining('column "nope" does not exist') } });
    expect(rows()).toEqual([
      { id: 1, email: 'old@x.com', name: 'Old', phone: '2', deleted_at: null },
      { id: 2, email: 'new@x.com', name: 'Seeded', phone: '1', deleted_at: null },
    ]);
    await c.close();
  });

  it('does not insert twice when a key-less, match-less insert is retried with the same idempotency key', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const op = upsert(null, { name: 'No Email' }, { idempotencyKey: 'evt-1/sync/a-to-b', match: { field: 'email', value: null, normalize: 'lowercase-trim' } });
    const first = await c.write('contacts', [op], ORIGIN);
    const again = await c.write('contacts', [op], ORIGIN);
    expect(again).toEqual(first);
    expect(rows()).toHaveLength(1);
    await c.close();
  });

  it('hard and soft deletes, idempotent, with not-found for a missing row', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email) VALUES (1, 'a@x.com'), (2, 'b@x.com')`);
    const c = connectorFor(t);
    const sourceTime = Date.parse('2026-01-02T03:04:05.000Z');
    const soft: WriteOp = { kind: 'delete', key: '1', mode: 'soft', softField: 'deleted_at', idempotencyKey: 'd1', sourceTime };
    const hard: WriteOp = { kind: 'delete', key: '2', mode: 'hard', idempotencyKey: 'd2', sourceTime };
    expect(await c.write('contacts', [soft, hard], ORIGIN)).toEqual([{ ok: true, key: '1' }, { ok: true, key: '2' }]);
    const after = rows();
    expect(after).toEqual([{ id: 1, email: 'a@x.com', name: '', phone: null, deleted_at: '2026-01-02T03:04:05.000Z' }]);
    expect(await c.write('contacts', [{ ...soft, sourceTime: sourceTime + 1000 }, hard], ORIGIN)).toEqual([
      { ok: true, key: '1' },
      { ok: true, key: '2', note: 'not-found' },
    ]);
    expect(rows()).toEqual(after);
    const noField = await c.write('contacts', [{ ...soft, softField: 'removed' }], ORIGIN);
    expect(noField[0]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringContaining('"removed"') } });
    await c.close();
  });

  it('reports an unknown column and a constraint violation per op as validation errors, and applies the other ops', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email) VALUES (1, 'taken@x.com')`);
    const c = connectorFor(t);
    const res = await c.write(
      'contacts',
      [upsert('5', { email: 'ok@x.com' }), upsert('6', { emial: 'typo@x.com' }), upsert('7', { email: 'taken@x.com' }), upsert('8', { name: null }), upsert('9', { email: 'ok2@x.com' })],
      ORIGIN,
    );
    expect(res[0]).toEqual({ ok: true, key: '5', created: true });
    expect(res[1]).toMatchObject({ ok: false, error: { errorClass: 'validation' } });
    expect(res[1]!.ok === false && res[1]!.error.message).toMatch(/column "emial" does not exist in table "contacts"/);
    expect(res[2]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringContaining('UNIQUE constraint failed: contacts.email') } });
    expect(res[3]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringContaining('NOT NULL constraint failed: contacts.name') } });
    expect(res[4]).toEqual({ ok: true, key: '9', created: true });
    expect(rows().map((r) => (r as { id: number }).id)).toEqual([1, 5, 9]);
    await c.close();
  });

  it('refuses a new row without a key in a table whose key is not an INTEGER PRIMARY KEY, and writes with a given key', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const res = await c.write('codes', [upsert(null, { label: 'x' }), upsert('gold', { label: 'Gold' })], ORIGIN);
    expect(res[0]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/primary key "code"/) } });
    expect(res[1]).toEqual({ ok: true, key: 'gold', created: true });
    const missing = await c.write('nope', [upsert('1', {})], ORIGIN);
    expect(missing[0]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/table "nope" does not exist in test.db/) } });
    await c.close();
  });

  it('returns an unavailable error for every op when another program holds the write lock, and writes nothing', () => {
    t = tempDb(SCHEMA);
    const db = openUserDatabase(t.file);
    db.pragma('busy_timeout = 20');
    const writer = new SqliteWriter(db, new SchemaCache(db), t.file);
    writer.write('contacts', [upsert('1', { email: 'warmup@x.com' })], ORIGIN); // creates our tables
    t.outside.exec('BEGIN IMMEDIATE');
    try {
      const res = writer.write('contacts', [upsert('2', { email: 'a@x.com' }), upsert('3', { email: 'b@x.com' })], ORIGIN);
      expect(res.map((r) => r.ok === false && r.error.errorClass)).toEqual(['unavailable', 'unavailable']);
      expect(res[0]!.ok === false && res[0]!.error.message).toMatch(/database is locked/);
    } finally {
      t.outside.exec('ROLLBACK');
    }
    expect(rows().map((r) => (r as { id: number }).id)).toEqual([1]);
    db.close();
  });

  it('rolls back the whole call when the transaction itself fails', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    // A user trigger that breaks the database mid-call (not a per-row constraint): nothing of the call may stay.
    t.outside.exec(`CREATE TRIGGER boom AFTER INSERT ON contacts WHEN NEW.email = 'boom@x.com' BEGIN SELECT * FROM no_such_table; END;`);
    const res = await c.write('contacts', [upsert('1', { email: 'first@x.com' }), upsert('2', { email: 'boom@x.com' })], ORIGIN);
    expect(res.every((r) => !r.ok)).toBe(true);
    expect(rows()).toEqual([]);
    expect(t.outside.prepare('SELECT count(*) FROM _synccanvas_origin').pluck().get()).toBe(0);
    await c.close();
  });
});
