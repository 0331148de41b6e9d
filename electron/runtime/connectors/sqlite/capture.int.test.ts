import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { CAPTURE_BATCH_SIZE } from './capture.js';
import { sqliteConnector } from './definition.js';
import { capture, changeLogCount, connectorFor, recorder, tempDb, waitFor, type TempDb } from './test-fixtures.js';

const SCHEMA = `CREATE TABLE contacts(id INTEGER PRIMARY KEY, email TEXT, name TEXT, avatar BLOB);`;

let t: TempDb;
afterEach(() => t?.cleanup());

describe('sqlite capture', () => {
  it('captures insert, update and delete in commit order with deterministic ids', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    const handle = await capture(c, rec, ['contacts']);
    const before = Date.now();
    t.outside.prepare(`INSERT INTO contacts(email, name, avatar) VALUES ('a@x.com', 'Ann', x'0aff')`).run();
    t.outside.prepare(`UPDATE contacts SET name = 'Anna' WHERE id = 1`).run();
    t.outside.prepare(`UPDATE contacts SET name = 'Anna' WHERE id = 1`).run(); // no-op: not a change
    t.outside.prepare(`DELETE FROM contacts WHERE id = 1`).run();
    await waitFor(() => rec.changes().length >= 3, 'three changes');
    await handle.stop();
    await c.close();

    const changes = rec.changes();
    expect(changes.map((x) => [x.op, x.key])).toEqual([['upsert', '1'], ['upsert', '1'], ['delete', '1']]);
    expect(changes[0]!.fields).toEqual({ id: 1, email: 'a@x.com', name: 'Ann', avatar: { $blob: '0AFF' } });
    expect(changes[1]!.fields).toMatchObject({ name: 'Anna' });
    expect(changes[2]!.fields).toEqual({ id: 1 });
    expect(changes.every((x) => x.origin === 'user' && x.entity === 'contacts')).toBe(true);
    for (const x of changes) {
      expect(x.sourceTime).toBeGreaterThanOrEqual(before - 5);
      expect(x.sourceTime).toBeLessThanOrEqual(Date.now());
    }
    const dbId = t.outside.prepare(`SELECT value FROM _synccanvas_meta WHERE key = 'db_id'`).pluck().get() as string;
    expect(changes.map((x) => x.eventId)).toEqual([1, 2, 3].map((n) => `sqlite:${dbId}:${n}`));
    expect(rec.batches.at(-1)!.checkpoint).toBe('3');
  });

  it('starts a first capture with a snapshot of the existing rows, then streams without gap or duplicate', async () => {
    t = tempDb(SCHEMA);
    t.outside.prepare(`INSERT INTO contacts(email, name) VALUES ('a@x.com', 'Ann'), ('b@x.com', 'Bob')`).run();
    const c = connectorFor(t);
    const rec = recorder();
    const handle = await capture(c, rec, ['contacts']);
    t.outside.prepare(`UPDATE contacts SET name = 'Bobby' WHERE id = 2`).run();
    await waitFor(() => rec.changes().length >= 3, 'snapshot and one change');
    await handle.stop();
    const changes = rec.changes();
    expect(changes.map((x) => [x.op, x.key, x.fields.name, x.origin])).toEqual([
      ['upsert', '1', 'Ann', 'snapshot'],
      ['upsert', '2', 'Bob', 'snapshot'],
      ['upsert', '2', 'Bobby', 'user'],
    ]);
    // A restart resumes from its checkpoint: no second snapshot.
    const rec2 = recorder();
    const again = await c.startCapture({ entities: ['contacts'], checkpoint: rec.batches.at(-1)!.checkpoint, sink: (b) => rec2.sink(b), signal: new AbortController().signal });
    await new Promise((r) => setTimeout(r, 150));
    await again.stop();
    await c.close();
    expect(rec2.changes()).toEqual([]);
  });

  it('two flows reading one file: the second one\'s snapshot goes to it alone, and neither deletes rows the other has not read', async () => {
    t = tempDb(SCHEMA);
    t.outside.prepare(`INSERT INTO contacts(email, name) VALUES ('a@x.com', 'Ann'), ('b@x.com', 'Bob')`).run();
    const first = connectorFor(t);
    const second = connectorFor(t);
    const start = (c: typeof first, rec: ReturnType<typeof recorder>, readerId: string) =>
      c.startCapture({ entities: ['contacts'], checkpoint: null, readerId, sink: (b) => rec.sink(b), signal: new AbortController().signal });
    const recA = recorder();
    const a = await start(first, recA, 'crm-to-billing:crm');
    await waitFor(() => recA.changes().length >= 2 && changeLogCount(t) === 0, 'the first flow settled');

    const recB = recorder();
    recB.failNext(4); // the second flow's inbox refuses for a while: the first flow reads on and acknowledges meanwhile
    const b = await start(second, recB, 'crm-to-support:crm');
    await new Promise((r) => setTimeout(r, 1300)); // past the first flow's delete interval
    t.outside.prepare(`UPDATE contacts SET name = 'Bobby' WHERE id = 2`).run();
    await waitFor(() => recB.changes().length >= 3 && recA.changes().length >= 3, 'both flows saw the update');
    await waitFor(() => changeLogCount(t) === 0, 'the log emptied once both read it');
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([first.close(), second.close()]);

    const seen = (rec: ReturnType<typeof recorder>) => rec.changes().map((x) => [x.key, x.fields.name, x.origin]);
    expect(seen(recA)).toEqual([
      ['1', 'Ann', 'snapshot'],
      ['2', 'Bob', 'snapshot'],
      ['2', 'Bobby', 'user'],
    ]);
    expect(seen(recB)).toEqual([
      ['1', 'Ann', 'snapshot'],
      ['2', 'Bob', 'snapshot'],
      ['2', 'Bobby', 'user'],
    ]);
  });

  it('a flow whose log was restored below its checkpoint keeps the restored rows from the other flow\'s deletes', async () => {
    t = tempDb(SCHEMA);
    const first = connectorFor(t);
    const second = connectorFor(t);
    // Triggers in place, then changes nobody has read yet: the restored file's log.
    await first.startCapture({ entities: ['contacts'], checkpoint: '0', readerId: 'setup', sink: async () => { throw new Error('not now'); }, signal: AbortSignal.abort() }).then((h) => h.stop());
    t.outside.prepare(`DELETE FROM _synccanvas_readers`).run();
    t.outside.prepare(`INSERT INTO contacts(email, name) VALUES ('a@x.com', 'Ann'), ('b@x.com', 'Bob')`).run();
    const recB = recorder();
    recB.failNext(4);
    const b = await second.startCapture({ entities: ['contacts'], checkpoint: '999', readerId: 'restored:crm', sink: (x) => recB.sink(x), signal: new AbortController().signal });
    const recA = recorder();
    const a = await first.startCapture({ entities: ['contacts'], checkpoint: null, readerId: 'other:crm', sink: (x) => recA.sink(x), signal: new AbortController().signal });
    await waitFor(() => recB.changes().length >= 2, 'the restored flow read the restored rows', 8000);
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([first.close(), second.close()]);
    expect(recB.changes().map((x) => [x.key, x.fields.name, x.origin])).toEqual([
      ['1', 'Ann', 'user'],
      ['2', 'Bob', 'user'],
    ]);
  });

  it('two flows capturing different tables of one file keep each other\'s triggers, and deleting one leaves the other its log', async () => {
    t = tempDb(`${SCHEMA} CREATE TABLE deals(id INTEGER PRIMARY KEY, title TEXT);`);
    const first = connectorFor(t);
    const second = connectorFor(t);
    const start = (c: typeof first, rec: ReturnType<typeof recorder>, entities: string[], readerId: string) =>
      c.startCapture({ entities, checkpoint: null, readerId, sink: (b) => rec.sink(b), signal: new AbortController().signal });
    const recA = recorder();
    const recB = recorder();
    const a = await start(first, recA, ['contacts'], 'fa:crm');
    const b = await start(second, recB, ['deals'], 'fb:crm');
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('a@x.com')`).run();
    t.outside.prepare(`INSERT INTO deals(title) VALUES ('Big')`).run();
    await waitFor(() => recA.changes().length >= 1 && recB.changes().length >= 1, 'each flow saw its table');
    await a.stop();
    await first.close();
    // The first flow is deleted while the second runs on.
    await sqliteConnector.dropCaptureResources!({ config: { path: t.file, pollIntervalMs: 50 }, secrets: {}, flowId: 'fa', systemId: 'crm', dataDir: path.dirname(t.file) });
    t.outside.prepare(`INSERT INTO deals(title) VALUES ('Bigger')`).run();
    await waitFor(() => recB.changes().length >= 2, 'the second flow still captures');
    await b.stop();
    await second.close();
    expect(recA.changes().map((x) => x.entity)).toEqual(['contacts']);
    expect(recB.changes().map((x) => [x.entity, x.fields.title])).toEqual([
      ['deals', 'Big'],
      ['deals', 'Bigger'],
    ]);
    const triggersOn = t.outside.prepare(`SELECT DISTINCT tbl_name FROM sqlite_schema WHERE type = 'trigger'`).pluck().all();
    expect(triggersOn).toEqual(['deals']);
  });

  it('leaves the user\'s database as it was when the flow is deleted (dropCaptureResources)', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    const handle = await c.startCapture({ entities: ['contacts'], checkpoint: null, readerId: 'f:s', sink: (b) => rec.sink(b), signal: new AbortController().signal });
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('a@x.com')`).run();
    await waitFor(() => rec.changes().length >= 1, 'a change');
    await handle.stop();
    await c.close();
    const ours = () => t.outside.prepare("SELECT type, name FROM sqlite_schema WHERE name LIKE '\\_synccanvas%' ESCAPE '\\'").all();
    expect(ours().length).toBeGreaterThan(0);
    const removed = await sqliteConnector.dropCaptureResources!({ config: { path: t.file, pollIntervalMs: 50 }, secrets: {}, flowId: 'f', systemId: 's', dataDir: path.dirname(t.file) });
    expect(removed).toMatchObject({ triggers: 3 });
    expect(ours()).toEqual([]);
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('b@x.com')`).run(); // the user's writes still work
    expect(t.outside.prepare('SELECT COUNT(*) AS n FROM contacts').get()).toEqual({ n: 2 });
  });

  it('tags our own writes with their origin and outside writes as user', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    const handle = await capture(c, rec, ['contacts']);
    const res = await c.write('contacts', [{ kind: 'upsert', key: '7', fields: { email: 'ours@x.com' }, idempotencyKey: 'e1', sourceTime: 1 }], 'synccanvas:flow1');
    expect(res).toEqual([{ ok: true, key: '7', created: true, version: 1 }]);
    t.outside.prepare(`UPDATE contacts SET name = 'Theirs' WHERE id = 7`).run();
    await waitFor(() => rec.changes().length >= 2, 'two changes');
    await handle.stop();
    await c.close();
    expect(rec.changes().map((x) => x.origin)).toEqual(['synccanvas:flow1', 'user']);
    expect(t.outside.prepare('SELECT count(*) FROM _synccanvas_origin').pluck().get()).toBe(0);
  });

  it('resumes from the checkpoint after a restart with no gap and no duplicate', async () => {
    t = tempDb(SCHEMA);
    const insert = t.outside.prepare(`INSERT INTO contacts(email) VALUES (?)`);
    let c = connectorFor(t);
    const rec = recorder();
    let handle = await capture(c, rec, ['contacts']);
    for (let i = 0; i < 5; i++) insert.run(`a${i}@x.com`);
    await waitFor(() => rec.changes().length === 5, 'first five');
    await handle.stop();
    await c.close();
    const checkpoint = rec.batches.at(-1)!.checkpoint;

    for (let i = 5; i < 12; i++) insert.run(`a${i}@x.com`); // while nobody captures
    c = connectorFor(t);
    handle = await capture(c, rec, ['contacts'], checkpoint);
    for (let i = 12; i < 15; i++) insert.run(`a${i}@x.com`);
    await waitFor(() => rec.changes().length >= 15, 'all fifteen');
    await new Promise((res) => setTimeout(res, 50)); // a duplicate would show up here
    await handle.stop();
    await c.close();

    const ids = rec.changes().map((x) => Number(x.eventId.split(':').at(-1)));
    expect(ids).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(rec.changes().map((x) => x.fields['email'])).toEqual(Array.from({ length: 15 }, (_, i) => `a${i}@x.com`));
  });

  it('keeps change-log rows until the sink resolves, and loses nothing when it rejects', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    rec.failNext(3);
    let handle = await capture(c, rec, ['contacts']);
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('a@x.com'), ('b@x.com')`).run();
    await waitFor(() => rec.rejected >= 1, 'a rejected batch');
    await handle.stop(); // stops between retries: nothing acknowledged
    expect(rec.batches).toHaveLength(0);
    expect(changeLogCount(t)).toBe(2);

    handle = await capture(c, rec, ['contacts'], '0'); // nothing was committed: resume from the start of the log
    await waitFor(() => rec.batches.length > 0, 'a committed batch');
    expect(rec.rejected).toBe(3);
    expect(rec.changes().map((x) => x.fields['email'])).toEqual(['a@x.com', 'b@x.com']);
    await handle.stop(); // flushes the throttled delete of acknowledged rows
    expect(changeLogCount(t)).toBe(0);
    await c.close();
  });

  it('deletes acknowledged rows left by an earlier run on start, and none beyond the checkpoint', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    let handle = await capture(c, rec, ['contacts']);
    await handle.stop();
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('a@x.com'), ('b@x.com'), ('c@x.com')`).run();
    rec.failNext(1_000_000);
    handle = await capture(c, rec, ['contacts'], '2');
    expect(t.outside.prepare('SELECT id FROM _synccanvas_changes').pluck().all()).toEqual([3]);
    await handle.stop();
    await c.close();
  });

  it('hands over full batches back to back and follows with the rest', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t, { pollIntervalMs: 1000 });
    const rec = recorder();
    const n = CAPTURE_BATCH_SIZE * 2 + 17;
    const insert = t.outside.prepare(`INSERT INTO contacts(email) VALUES (?)`);
    await capture(c, rec, ['contacts']).then((h) => h.stop()); // installs the triggers
    t.outside.transaction(() => {
      for (let i = 0; i < n; i++) insert.run(`u${i}@x.com`);
    })();
    const handle = await capture(c, rec, ['contacts'], '0');
    // With a 1 s poll interval, only an immediate re-poll after a full batch gets all three batches in time.
    await waitFor(() => rec.changes().length === n, 'all rows', 900);
    await handle.stop();
    await c.close();
    expect(rec.batches.map((b) => b.changes.length)).toEqual([CAPTURE_BATCH_SIZE, CAPTURE_BATCH_SIZE, 17]);
  });

  it('stop() waits for the batch in flight, whose rows stay in the log until the sink resolves', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const received: string[] = [];
    const handle = await c.startCapture({
      entities: ['contacts'],
      checkpoint: null,
      signal: new AbortController().signal,
      sink: async (b) => {
        await gate;
        received.push(...b.changes.map((x) => x.eventId));
      },
    });
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('a@x.com')`).run();
    await new Promise((res) => setTimeout(res, 100));
    expect(changeLogCount(t)).toBe(1);
    let stopped = false;
    const stopping = handle.stop().then(() => (stopped = true));
    await new Promise((res) => setTimeout(res, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(received).toHaveLength(1);
    expect(changeLogCount(t)).toBe(0);
    await c.close();
  });

  it('installs triggers idempotently and reinstalls them when columns changed while stopped', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    const schemaVersion = () => t.outside.pragma('schema_version', { simple: true }) as number;
    await capture(c, rec, ['contacts']).then((h) => h.stop());
    const installed = schemaVersion();
    await capture(c, rec, ['contacts']).then((h) => h.stop());
    expect(schemaVersion()).toBe(installed); // nothing rewritten
    t.outside.exec(`ALTER TABLE contacts ADD COLUMN plan TEXT`);
    const handle = await capture(c, rec, ['contacts']);
    t.outside.prepare(`INSERT INTO contacts(email, plan) VALUES ('p@x.com', 'pro')`).run();
    await waitFor(() => rec.changes().length === 1, 'the insert');
    await handle.stop();
    await c.close();
    expect(rec.changes()[0]!.fields).toMatchObject({ email: 'p@x.com', plan: 'pro' });
  });

  it('picks up a column added while capturing', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    const handle = await capture(c, rec, ['contacts']);
    t.outside.exec(`ALTER TABLE contacts ADD COLUMN phone TEXT`);
    // Give the loop a poll to reinstall the triggers.
    await new Promise((res) => setTimeout(res, 100));
    t.outside.prepare(`INSERT INTO contacts(email, phone) VALUES ('p@x.com', '555')`).run();
    await waitFor(() => rec.changes().length === 1, 'the insert');
    await handle.stop();
    await c.close();
    expect(rec.changes()[0]!.fields).toMatchObject({ email: 'p@x.com', phone: '555' });
  });

  it('only captures the requested tables and stops on abort', async () => {
    t = tempDb(SCHEMA + `CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);`);
    const c = connectorFor(t);
    const rec = recorder();
    const ac = new AbortController();
    const handle = await c.startCapture({ entities: ['contacts'], checkpoint: null, sink: (b) => rec.sink(b), signal: ac.signal });
    t.outside.exec(`INSERT INTO notes(body) VALUES ('x'); INSERT INTO contacts(email) VALUES ('c@x.com');`);
    await waitFor(() => rec.changes().length === 1, 'one change');
    ac.abort();
    const stopped = Date.now();
    await handle.stop();
    expect(Date.now() - stopped).toBeLessThan(500);
    expect(rec.changes()[0]!.entity).toBe('contacts');
    const triggers = t.outside.prepare(`SELECT tbl_name FROM sqlite_schema WHERE type = 'trigger'`).pluck().all();
    expect(new Set(triggers)).toEqual(new Set(['contacts']));
    await c.close();
  });

  it('takes a new database id when the log is behind the checkpoint (a restored backup)', async () => {
    t = tempDb(SCHEMA);
    const c = connectorFor(t);
    const rec = recorder();
    const handle = await capture(c, rec, ['contacts'], '500');
    t.outside.prepare(`INSERT INTO contacts(email) VALUES ('r@x.com')`).run();
    await waitFor(() => rec.changes().length === 1, 'the insert');
    await handle.stop();
    await c.close();
    expect(rec.batches.flatMap((b) => b.notices ?? []).join(' ')).toMatch(/restored or replaced/);
    // A new database id, and ids (the record versions) continue above the checkpoint, never below it.
    expect(rec.changes()[0]!.eventId).toMatch(/^sqlite:[0-9a-f-]{36}:501$/);
    expect(rec.changes()[0]!.version).toBe(501);
  });

  it('handles table and column names that need quoting', async () => {
    t = tempDb(`CREATE TABLE "my ""odd"" table"("key col" TEXT PRIMARY KEY, "it's" TEXT, "select" INTEGER);`);
    const c = connectorFor(t);
    const rec = recorder();
    const table = 'my "odd" table';
    const handle = await capture(c, rec, [table]);
    const res = await c.write(table, [{ kind: 'upsert', key: 'k1', fields: { "it's": 'fine', select: 2 }, idempotencyKey: 'i', sourceTime: 1 }], 'synccanvas:flow1');
    expect(res).toEqual([{ ok: true, key: 'k1', created: true, version: 1 }]);
    t.outside.prepare(`DELETE FROM "my ""odd"" table"`).run();
    await waitFor(() => rec.changes().length === 2, 'two changes');
    await handle.stop();
    expect(rec.changes().map((x) => [x.entity, x.op, x.key, x.origin])).toEqual([
      [table, 'upsert', 'k1', 'synccanvas:flow1'],
      [table, 'delete', 'k1', 'user'],
    ]);
    expect(rec.changes()[0]!.fields).toEqual({ 'key col': 'k1', "it's": 'fine', select: 2 });
    expect((await c.discover())[0]).toMatchObject({ name: table, keyField: 'key col' });
    await c.close();
  });

  it('refuses to capture a missing table or one without a primary key, saying how to fix it', async () => {
    t = tempDb(`CREATE TABLE logs(at TEXT, line TEXT);`);
    const c = connectorFor(t);
    const rec = recorder();
    await expect(capture(c, rec, ['logs'])).rejects.toThrow(/no primary key.*INTEGER PRIMARY KEY/);
    await expect(capture(c, rec, ['contacts'])).rejects.toThrow(/table "contacts" does not exist in test.db/);
    await c.close();
  });
});
