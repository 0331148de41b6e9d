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

  it('finds a record by normalized email, updates it and returns its key; inserts when none matches', async () => {
    t = tempDb(SCHEMA);
    t.outside.exec(`INSERT INTO contacts(id, email, name) VALUES (3, '  Jane.Doe@Example.COM ', 'Jane')`);
    const c = connectorFor(t);
    const match = (email: string) => ({ field: 'email', value: email, normalize: 'lowercase-trim' as const });
    const res = await c.write(
      'contacts',
      [upsert(null, { phone: '111' }, { match: match('jane.doe@example.com') }), upsert(null, { email: 'new@x.com', name: 'New' }, { match: match('NEW@x.com ') })],
      ORIGIN,
    );
    expect(res).toEqual([{ ok: true, key: '3' }, { ok: true, key: '4', created: true }]);
    // exact matching does not fold case
    expect(await c.write('contacts', [upsert(null, { email: 'JANE.DOE@example.com', name: 'J' }, { match: { field: 'email', value: 'JANE.DOE@example.com', normalize: 'exact' } })], ORIGIN)).toEqual([
      { ok: true, key: '5', created: true },
    ]);
    expect(rows()).toEqual([
      { id: 3, email: '  Jane.Doe@Example.COM ', name: 'Jane', phone: '111', deleted_at: null },
      { id: 4, email: 'new@x.com', name: 'New', phone: null, deleted_at: null },
      { id: 5, email: 'JANE.DOE@example.com', name: 'J', phone: null, deleted_at: null },
    ]);
    // now two rows normalize to the same email: ambiguous, reported, nothing written
    const ambiguous = await c.write('contacts', [upsert(null, { phone: '222' }, { match: match('jane.doe@example.com') })], ORIGIN);
    expect(ambiguous[0]).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/more than one row has email/) } });
    await c.close();
  });

  it('matches the same within one large call (one scan) as one op at a time, seeing the call\'s own writes', async () => {
    const ops = (): WriteOp[] => {
      const m = (email: string, fields: Record<string, unknown>, i: number): WriteOp =>
        upsert(null, fields, { match: { field: 'email', value: email, normalize: 'lowercase-trim' }, idempotencyKey: `m${i}` });
      return [
        m('A@x.com', { email: 'c@x.com' }, 1), // row 1 changes its email…
        m('a@x.com', { email: 'a@x.com', name: 'New A' }, 2), // …so this no longer finds it: insert
        m(' C@X.COM', { phone: '1' }, 3), // finds row 1 under its new email
        m('b@x.com', { phone: '2' }, 4),
        m('new@x.com', { email: 'new@x.com' }, 5),
        m('NEW@x.com', { phone: '3' }, 6), // finds the row op 5 inserted
      ];
    };
    const results = [];
    for (const oneByOne of [false, true]) {
      t = tempDb(SCHEMA);
      t.outside.exec(`INSERT INTO contacts(id, email) VALUES (1, 'a@x.com'), (2, 'B@x.com')`);
      const c = connectorFor(t);
      const res = oneByOne ? (await Promise.all(ops().map((op) => c.write('contacts', [op], ORIGIN)))).flat() : await c.write('contacts', ops(), ORIGIN);
      results.push({ res, rows: rows() });
      await c.close();
      t.cleanup();
    }
    expect(results[0]!.res.map((r) => r.ok && r.key)).toEqual(['1', '3', '1', '2', '4', '4']);
    expect(results[0]).toEqual(results[1]);
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
        upsert(null, { phone: '2' }, { match: match('OLD@x.com'), insertOnly: { email: 'other@x.com', name: 'Not used' } }),
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
