import { afterEach, describe, expect, onTestFinished, test } from 'vitest';
import type { CaptureHandle } from '../types.js';
import { readSlot } from './capture-resources.js';
import { PostgresConnector } from './connector.js';
import { postgresConnector } from './definition.js';
import { isLsn, compareLsn } from './lsn.js';
import { captureResourceNames } from './names.js';
import { CollectingSink } from './test-support/collecting-sink.js';
import { usePostgres, waitFor } from './test-support/use-postgres.js';

const db = usePostgres('capture');
let flowSeq = 0;
const open: Array<{ handle?: CaptureHandle; connector: PostgresConnector }> = [];

function connector(flowId = `flow-${++flowSeq}`, configPatch: Record<string, unknown> = {}): PostgresConnector {
  const c = new PostgresConnector({ config: { ...db().config, ...configPatch }, password: db().password, flowId, systemId: 'crm' });
  open.push({ connector: c });
  return c;
}

async function capture(c: PostgresConnector, sink: CollectingSink, entities: string[]): Promise<CaptureHandle> {
  const handle = await c.startCapture(sink.context(entities));
  const entry = open.find((o) => o.connector === c);
  if (entry) entry.handle = handle;
  // The snapshot is done once the checkpoint is the slot's consistent point.
  await waitFor(() => sink.checkpoint !== null && isLsn(sink.checkpoint), 10_000, 'snapshot handover');
  return handle;
}

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.handle?.stop();
    await o.connector.close();
  }
});

describe('log-based capture', () => {
  test('streams inserts, updates and deletes with deterministic ids, keys and commit times', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE contacts (id serial PRIMARY KEY, email text NOT NULL, score int)');
    await admin.query(`INSERT INTO contacts (email, score) VALUES ('old@x.io', 1)`);
    const sink = new CollectingSink();
    const c = connector();
    await capture(c, sink, ['contacts']);
    expect(sink.changes).toHaveLength(1);
    expect(sink.changes[0]).toMatchObject({ entity: 'contacts', key: '1', op: 'upsert', fields: { id: 1, email: 'old@x.io', score: 1 }, origin: 'user' });
    expect(sink.changes[0]!.eventId).toMatch(/^pg:crm:snap:/);

    const before = Date.now();
    await admin.query(`INSERT INTO contacts (email, score) VALUES ('a@x.io', 10)`);
    await admin.query(`UPDATE contacts SET score = 11 WHERE email = 'a@x.io'`);
    await admin.query('BEGIN');
    await admin.query(`INSERT INTO contacts (email) VALUES ('b@x.io')`);
    await admin.query(`DELETE FROM contacts WHERE id = 1`);
    await admin.query('COMMIT');
    await admin.query(`UPDATE contacts SET id = 100 WHERE email = 'b@x.io'`);
    await waitFor(() => sink.changes.length >= 7, 10_000, '7 changes');

    const streamed = sink.changes.slice(1);
    expect(streamed.map((ch) => [ch.op, ch.key])).toEqual([
      ['upsert', '2'],
      ['upsert', '2'],
      ['upsert', '3'],
      ['delete', '1'],
      // A key change is a delete of the old key and an upsert of the new one.
      ['delete', '3'],
      ['upsert', '100'],
    ]);
    expect(streamed[1]!.fields).toEqual({ id: 2, email: 'a@x.io', score: 11 });
    expect(streamed[3]!.fields).toEqual({ id: 1 });
    for (const ch of streamed) {
      expect(ch.eventId).toMatch(/^pg:crm:[0-9A-F]+\/[0-9A-F]+:\d+$/);
      expect(ch.sourceTime).toBeGreaterThanOrEqual(before - 1000);
      expect(ch.sourceTime).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(new Set(streamed.map((ch) => ch.eventId)).size).toBe(streamed.length);
    // The two changes of one transaction share its commit LSN and are numbered in order.
    const [txA, txB] = [streamed[2]!.eventId.split(':'), streamed[3]!.eventId.split(':')];
    expect(txA[2]).toBe(txB[2]);
    expect([txA[3], txB[3]]).toEqual(['0', '1']);
    expect(streamed[2]!.sourceTime).toBe(streamed[3]!.sourceTime);
  });

  test('reports TRUNCATE as a notice instead of dropping it silently', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE tickets (id int PRIMARY KEY, title text)');
    const sink = new CollectingSink();
    await capture(connector(), sink, ['tickets']);
    await admin.query(`INSERT INTO tickets VALUES (1, 'a'), (2, 'b')`);
    await admin.query('TRUNCATE tickets');
    await waitFor(() => sink.notices.length > 0, 10_000, 'truncate notice');
    expect(sink.notices[0]).toMatch(/TRUNCATE of tickets .*not synced/);
    expect(sink.changes.map((ch) => ch.op)).toEqual(['upsert', 'upsert']);
  });

  test('maps types faithfully, in the snapshot and in the stream alike', async () => {
    const { admin } = db();
    await admin.query(`CREATE TABLE typed (
      id bigint PRIMARY KEY, amount numeric(30,10), ratio float8, flag bool, at timestamptz, local_at timestamp, day date,
      doc jsonb, raw json, counts int[], tags text[], prices numeric[], big_ids bigint[], uid uuid, note text, nothing int)`);
    const insert = `INSERT INTO typed VALUES ($1, 12345678901234567890.0123456789, 0.1, true, '2024-03-01 12:34:56.123456+02', '2024-03-01 12:34:56.5', '2024-02-29',
      '{"a": [1, "x", null], "b": {"c": true}}', '[1, 2]', '{1,NULL,3}', '{"a b","c,d","e\\"f",NULL}', '{1.10,2.25}', '{9007199254740993}',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL, NULL)`;
    await admin.query(insert, ['9007199254740993']);
    const sink = new CollectingSink();
    await capture(connector(), sink, ['typed']);
    await admin.query(insert, ['9007199254740995']);
    await waitFor(() => sink.changes.length >= 2, 10_000, 'two rows');
    const expected = {
      amount: '12345678901234567890.0123456789',
      ratio: 0.1,
      flag: true,
      at: '2024-03-01T10:34:56.123456Z',
      local_at: '2024-03-01T12:34:56.5',
      day: '2024-02-29',
      // json and jsonb stay Postgres's exact text (docs/values.md): big numbers, key order, JSON null.
      doc: { $json: '{"a": [1, "x", null], "b": {"c": true}}' },
      raw: { $json: '[1, 2]' },
      counts: [1, null, 3],
      tags: ['a b', 'c,d', 'e"f', null],
      prices: ['1.10', '2.25'],
      big_ids: ['9007199254740993'],
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      note: null,
      nothing: null,
    };
    const [snap, streamed] = sink.changes;
    expect(snap!.fields).toEqual({ id: '9007199254740993', ...expected });
    expect(snap!.key).toBe('9007199254740993');
    expect(streamed!.fields).toEqual({ id: '9007199254740995', ...expected });
    expect(streamed!.key).toBe('9007199254740995');
  });

  test('refuses a table without a primary key, names the fix, and leaves the table writable', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE loose (a int, b text)');
    await admin.query(`INSERT INTO loose VALUES (1, 'x')`);
    const sink = new CollectingSink();
    const c = connector();
    await expect(c.startCapture(sink.context(['loose']))).rejects.toThrow(/loose has no primary key.*ADD PRIMARY KEY.*REPLICA IDENTITY FULL/);
    // Not added to a publication, so the user's own updates keep working.
    await admin.query(`UPDATE loose SET b = 'y' WHERE a = 1`);
    await expect(c.startCapture(sink.context(['no_such_table']))).rejects.toThrow(/no_such_table not found/);
  });

  test('captures a REPLICA IDENTITY FULL table without a key, the whole row being its identity', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE ledger (account text, amount int)');
    await admin.query('ALTER TABLE ledger REPLICA IDENTITY FULL');
    const sink = new CollectingSink();
    await capture(connector(), sink, ['ledger']);
    await admin.query(`INSERT INTO ledger VALUES ('a', 5)`);
    await admin.query(`UPDATE ledger SET amount = 6`);
    await admin.query(`DELETE FROM ledger`);
    await waitFor(() => sink.changes.length >= 4, 10_000, 'four changes');
    expect(sink.changes.map((ch) => [ch.op, ch.key])).toEqual([
      ['upsert', '["a",5]'],
      ['delete', '["a",5]'],
      ['upsert', '["a",6]'],
      ['delete', '["a",6]'],
    ]);
  });

  test('captures a partitioned table under its own name', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE sales (id int, region text, amount int, PRIMARY KEY (id, region)) PARTITION BY LIST (region)');
    await admin.query(`CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('eu')`);
    await admin.query(`CREATE TABLE sales_us PARTITION OF sales FOR VALUES IN ('us')`);
    const sink = new CollectingSink();
    await capture(connector(), sink, ['sales']);
    await admin.query(`INSERT INTO sales VALUES (1, 'eu', 10), (2, 'us', 20)`);
    await admin.query(`DELETE FROM sales WHERE id = 2`);
    await waitFor(() => sink.changes.length >= 3, 10_000, 'three changes');
    expect(sink.changes.map((ch) => [ch.entity, ch.op, ch.key])).toEqual([
      ['sales', 'upsert', '[1,"eu"]'],
      ['sales', 'upsert', '[2,"us"]'],
      ['sales', 'delete', '[2,"us"]'],
    ]);
  });

  test('a failing inbox confirms nothing; the same changes come again once it recovers', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE orders (id int PRIMARY KEY, total numeric)');
    const sink = new CollectingSink();
    const flowId = `flow-${++flowSeq}`;
    await capture(connector(flowId), sink, ['orders']);
    const committed = sink.checkpoint!;
    sink.failing = true;
    await admin.query(`INSERT INTO orders VALUES (1, 9.99), (2, 19.99)`);
    await admin.query(`UPDATE orders SET total = 29.99 WHERE id = 2`);
    await waitFor(() => sink.failures >= 2, 10_000, 'the sink to fail twice');
    expect(sink.changes).toHaveLength(0);
    const slot = await readSlot(admin, captureResourceNames(flowId, 'crm').slot);
    // Confirmed no further than what the inbox holds.
    expect(compareLsn(slot!.confirmedFlushLsn!, committed)).toBeLessThanOrEqual(0);
    sink.failing = false;
    await waitFor(() => sink.changes.length >= 3, 15_000, 'redelivery');
    expect(sink.changes.map((ch) => [ch.op, ch.key, ch.fields.total])).toEqual([
      ['upsert', '1', '9.99'],
      ['upsert', '2', '19.99'],
      ['upsert', '2', '29.99'],
    ]);
  });

  test('confirms the slot only after the inbox committed, and then promptly', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE payments (id int PRIMARY KEY)');
    const sink = new CollectingSink();
    const flowId = `flow-${++flowSeq}`;
    await capture(connector(flowId), sink, ['payments']);
    const committed = sink.checkpoint!;
    let release!: () => void;
    sink.gate = new Promise((r) => (release = r));
    onTestFinished(() => release());
    await admin.query('INSERT INTO payments VALUES (1)');
    await admin.query('INSERT INTO payments VALUES (2)');
    // Longer than the acknowledgement interval: a premature confirmation would show here.
    await new Promise((r) => setTimeout(r, 1_500));
    const slotName = captureResourceNames(flowId, 'crm').slot;
    expect(compareLsn((await readSlot(admin, slotName))!.confirmedFlushLsn!, committed)).toBeLessThanOrEqual(0);
    sink.gate = null;
    release();
    await waitFor(() => sink.changes.length >= 2, 10_000, 'both rows');
    const after = sink.checkpoint!;
    expect(compareLsn(after, committed)).toBeGreaterThan(0);
    await waitFor(async () => compareLsn((await readSlot(admin, slotName))!.confirmedFlushLsn!, after) >= 0, 5_000, 'the confirmation');
  });

  test('reconnects after the server drops the replication connection, losing nothing', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE tasks (id int PRIMARY KEY)');
    const flowId = `flow-${++flowSeq}`;
    const sink = new CollectingSink();
    await capture(connector(flowId), sink, ['tasks']);
    await admin.query('INSERT INTO tasks VALUES (1)');
    await waitFor(() => sink.changes.length >= 1, 10_000, 'row 1');
    const slotName = captureResourceNames(flowId, 'crm').slot;
    const pid = (await readSlot(admin, slotName))!.activePid!;
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.query('INSERT INTO tasks VALUES (2)');
    await admin.query('INSERT INTO tasks VALUES (3)');
    await waitFor(() => sink.changes.length >= 3, 15_000, 'rows 2 and 3 after the reconnect');
    await waitFor(async () => {
      const row = await readSlot(admin, slotName);
      return row?.active === true && row.activePid !== pid;
    }, 10_000, 'a new walsender');
    expect(sink.changes.map((ch) => ch.key)).toEqual(['1', '2', '3']);
  });

  test('a restart resumes exactly at the stored checkpoint: nothing repeated, nothing missed', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE items (id int PRIMARY KEY, qty int)');
    const flowId = `flow-${++flowSeq}`;
    const sink = new CollectingSink();
    const first = connector(flowId);
    const handle = await capture(first, sink, ['items']);
    for (let i = 1; i <= 5; i++) await admin.query('INSERT INTO items VALUES ($1, $1)', [i]);
    await waitFor(() => sink.changes.length >= 5, 10_000, 'first five');
    await handle.stop();
    await first.close();
    const seen = new Set(sink.changes.map((ch) => ch.eventId));
    for (let i = 6; i <= 10; i++) await admin.query('INSERT INTO items VALUES ($1, $1)', [i]);
    await admin.query('UPDATE items SET qty = 0 WHERE id = 3');

    const resumed = new CollectingSink();
    resumed.checkpoint = sink.checkpoint;
    const second = connector(flowId);
    const h2 = await second.startCapture(resumed.context(['items']));
    open.find((o) => o.connector === second)!.handle = h2;
    await waitFor(() => resumed.changes.length >= 6, 10_000, 'the six changes made while stopped');
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.changes.map((ch) => [ch.key, ch.fields.qty])).toEqual([
      ['6', 6], ['7', 7], ['8', 8], ['9', 9], ['10', 10], ['3', 0],
    ]);
    expect(resumed.changes.some((ch) => seen.has(ch.eventId))).toBe(false);
  });

  test('a backlog of single-row transactions with wide values reaches the inbox in few batches, in order', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE docs (id int PRIMARY KEY, body text)');
    await admin.query(`INSERT INTO docs SELECT g, '' FROM generate_series(1, 50) g`);
    const flowId = `flow-${++flowSeq}`;
    const sink = new CollectingSink();
    const first = connector(flowId);
    const handle = await capture(first, sink, ['docs']);
    await handle.stop();
    await first.close();
    // ~10 KB of hex per change that does not compress: a 64 KB socket read holds about six of them.
    const count = 300;
    for (let i = 1; i <= count; i++) {
      await admin.query(`UPDATE docs SET body = (SELECT string_agg(md5($1::text || '-' || n::text), '') FROM generate_series(1, 320) n) WHERE id = $2`, [i, (i % 50) + 1]);
    }
    const resumed = new CollectingSink();
    resumed.synchronous = true;
    resumed.checkpoint = sink.checkpoint;
    const second = connector(flowId);
    const h2 = await second.startCapture(resumed.context(['docs']));
    open.find((o) => o.connector === second)!.handle = h2;
    await waitFor(() => resumed.changes.length >= count, 20_000, 'the backlog');
    const bodies = await admin.query<{ id: number; body: string }>('SELECT id, body FROM docs');
    const last = new Map(resumed.changes.map((ch) => [ch.key, ch.fields.body]));
    for (const r of bodies.rows) expect(last.get(String(r.id)) === r.body, `docs ${r.id}`).toBe(true);
    const lsns = resumed.changes.map((ch) => ch.eventId.split(':')[2]!);
    expect(lsns.every((l, i) => i === 0 || compareLsn(lsns[i - 1]!, l) < 0)).toBe(true);
    // Capture used to commit twice per 64 KB socket read (its first transaction alone, then the
    // rest): about 100 batches here. Gathered per event-loop turn it is 5–10 on an idle machine; a
    // loaded one delivers fewer reads per turn (26 seen), hence the margin.
    expect(resumed.batches.length, `${resumed.batches.length} batches`).toBeLessThanOrEqual(45);
  });

  test('after a crash between inbox commit and acknowledgement, resumes from the checkpoint, not the slot', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE invoices (id int PRIMARY KEY)');
    const flowId = `flow-${++flowSeq}`;
    const sink = new CollectingSink();
    const first = connector(flowId);
    const handle = await capture(first, sink, ['invoices']);
    const slotName = captureResourceNames(flowId, 'crm').slot;
    const confirmedBefore = (await readSlot(admin, slotName))!.confirmedFlushLsn!;
    sink.commitThenFail = true;
    await admin.query('INSERT INTO invoices VALUES (1)');
    await waitFor(() => sink.changes.length >= 1, 10_000, 'row 1 committed');
    await handle.stop();
    await first.close();
    // The slot was never told about row 1; only the inbox's checkpoint knows it is done.
    expect(compareLsn((await readSlot(admin, slotName))!.confirmedFlushLsn!, sink.checkpoint!)).toBeLessThan(0);
    expect(compareLsn((await readSlot(admin, slotName))!.confirmedFlushLsn!, confirmedBefore)).toBe(0);
    await admin.query('INSERT INTO invoices VALUES (2)');

    const resumed = new CollectingSink();
    resumed.checkpoint = sink.checkpoint;
    const second = connector(flowId);
    open.find((o) => o.connector === second)!.handle = await second.startCapture(resumed.context(['invoices']));
    await waitFor(() => resumed.changes.length >= 1, 10_000, 'row 2');
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.changes.map((ch) => ch.key)).toEqual(['2']);
  });

  test('reports the WAL the slot retains, with a warning above the threshold', async () => {
    const { admin } = db();
    await admin.query('CREATE TABLE notes (id int PRIMARY KEY)');
    const sink = new CollectingSink();
    await capture(connector(undefined, { walWarnBytes: 1 }), sink, ['notes']);
    await admin.query('INSERT INTO notes VALUES (1)');
    const status = await waitFor(() => sink.statuses.find((s) => typeof s.walRetainedBytes === 'number'), 10_000, 'slot status');
    expect(status.walRetainedBytes).toBeGreaterThan(0);
    expect(status.warning).toMatch(/retains|keeps .* of WAL/);
    expect(status.slot).toMatch(/^sc_flow_/);
  });

  test('dropCaptureResources removes the slot and the publication', async () => {
    const { admin, config, password } = db();
    await admin.query('CREATE TABLE gone (id int PRIMARY KEY)');
    const flowId = `flow-${++flowSeq}`;
    const sink = new CollectingSink();
    const c = connector(flowId);
    const handle = await capture(c, sink, ['gone']);
    await handle.stop();
    // Writing into the system creates its replication origin, which goes too.
    expect(await c.write('gone', [{ kind: 'upsert', key: '1', fields: {}, idempotencyKey: 'g', sourceTime: 1 }], `synccanvas:${flowId}`)).toMatchObject([{ ok: true, key: '1', created: true }]);
    await c.close();
    const names = captureResourceNames(flowId, 'crm');
    expect(await readSlot(admin, names.slot)).not.toBeNull();
    const result = await postgresConnector.dropCaptureResources({ config, secrets: { password }, flowId, systemId: 'crm', dataDir: '/tmp' });
    expect(result).toEqual({ slotDropped: true, publicationDropped: true, originDropped: true });
    expect((await admin.query('SELECT 1 FROM pg_replication_origin WHERE roname = $1', [`synccanvas:${flowId}@crm`])).rowCount).toBe(0);
    expect(await readSlot(admin, names.slot)).toBeNull();
    expect((await admin.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication])).rowCount).toBe(0);
    // Repeating it is harmless.
    expect(await postgresConnector.dropCaptureResources({ config, secrets: { password }, flowId, systemId: 'crm', dataDir: '/tmp' })).toEqual({ slotDropped: false, publicationDropped: false, originDropped: false });
  });
});
