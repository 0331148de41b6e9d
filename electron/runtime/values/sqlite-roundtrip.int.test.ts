import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { until } from '../test-support/synccanvas-process.js';

/**
 * SQLite → SQLite through the whole runtime: random values of every storage class (INTEGER up to
 * ±2^63, REAL, TEXT, BLOB, NULL) in columns of every affinity arrive with the same value and the
 * same storage class, as SQLite itself judges (`IS` and `typeof`). And on a two-way edge an INTEGER
 * column mapped to a TEXT column writes "1", not "1.0".
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-values-sqlite-'));
let runtime: Runtime;
let src: Database.Database;
let dst: Database.Database;
const COLUMNS = ['i', 'r', 't', 'b', 'n', 'x'];
const TABLE = 'CREATE TABLE rows (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, x)';

const flow = {
  schemaVersion: FLOW_SCHEMA_VERSION,
  id: 'sqlite-values',
  name: 'SQLite values',
  systems: [
    { id: 'src', name: 'src', kind: 'sqlite', config: { path: path.join(dir, 'src.db'), pollIntervalMs: 10 } },
    { id: 'dst', name: 'dst', kind: 'sqlite', config: { path: path.join(dir, 'dst.db'), pollIntervalMs: 10 } },
  ],
  syncs: [
    {
      id: 'rows',
      a: { system: 'src', entity: 'rows' },
      b: { system: 'dst', entity: 'rows' },
      direction: 'a-to-b',
      matchKey: { a: 'id', b: 'id', normalize: 'exact' },
      fields: ['id', ...COLUMNS].map((n) => ({ a: n, b: n, owner: 'a' })),
    },
    {
      id: 'counts',
      a: { system: 'src', entity: 'counts' },
      b: { system: 'dst', entity: 'counts' },
      direction: 'both',
      matchKey: { a: 'id', b: 'id', normalize: 'exact' },
      fields: [
        { a: 'id', b: 'id', owner: 'a' },
        { a: 'qty', b: 'qty', owner: 'a' },
        { a: 'note', b: 'note', owner: 'b' },
      ],
    },
  ],
};

beforeAll(async () => {
  src = new Database(path.join(dir, 'src.db'));
  src.pragma('journal_mode = WAL');
  src.exec(TABLE);
  src.exec('CREATE TABLE counts (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT)');
  dst = new Database(path.join(dir, 'dst.db'));
  dst.pragma('journal_mode = WAL');
  dst.exec(TABLE);
  dst.exec('CREATE TABLE counts (id INTEGER PRIMARY KEY, qty TEXT, note TEXT)');
  src.exec(`ATTACH DATABASE '${path.join(dir, 'dst.db').replace(/'/g, "''")}' AS target`);
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false });
  const saved = await runtime.api['flows.save']({ flow });
  if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
  await runtime.api['flows.start']({ flowId: 'sqlite-values' });
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  src?.close();
  dst?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Rows whose values or storage classes differ, judged by SQLite. */
function differences(ids: number[]): unknown[] {
  const bad = COLUMNS.map((c) => `CASE WHEN NOT (s.${c} IS d.${c} AND typeof(s.${c}) = typeof(d.${c})) THEN '${c}: ' || quote(s.${c}) || ' ' || typeof(s.${c}) || ' vs ' || quote(d.${c}) || ' ' || typeof(d.${c}) END`);
  const rows = src
    .prepare(`SELECT s.id, d.id AS found, ${bad.map((b, i) => `${b} AS c${i}`).join(', ')} FROM rows s LEFT JOIN target.rows d ON d.id = s.id WHERE s.id IN (${ids.map(() => '?').join(',')})`)
    .all(...ids) as Array<Record<string, unknown>>;
  return rows.flatMap((r) => (r.found === null ? [`${r.id}: missing`] : COLUMNS.map((_, i) => r[`c${i}`]).filter((x) => x !== null).map((x) => `${r.id}: ${x}`)));
}

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const real = fc.double({ noNaN: true });
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('1', '1.0', '007', ' 12 ', '1e5', '12345678901234567890.5', 'NULL', ''));
const blob = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const anyValue = fc.oneof(int64, real, text, blob, fc.constant(null));
const row = fc.tuple(fc.integer({ min: 1, max: 400 }), fc.tuple(...COLUMNS.map(() => anyValue)));

test('every storage class in every affinity arrives with the same value and class', async () => {
  const insert = src.prepare(`INSERT INTO rows (id, ${COLUMNS.join(', ')}) VALUES (?, ${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT(id) DO UPDATE SET ${COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`);
  await fc.assert(
    fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 15 }), async (rows) => {
      src.transaction(() => {
        for (const [id, values] of rows) insert.run(id, ...values.map((v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
      })();
      const ids = [...new Set(rows.map(([id]) => id))];
      let last: unknown[] = [];
      try {
        await until('the target to equal the source', () => (last = differences(ids)).length === 0);
      } catch (e) {
        throw new Error(`${(e as Error).message}: ${JSON.stringify(last).slice(0, 2000)}`);
      }
    }),
    { numRuns: 20, seed: 314, endOnFailure: true },
  ).catch(async (e: unknown) => {
    const { entries } = await runtime.api['dlq.list']({ filter: {}, limit: 5, offset: 0 });
    throw new Error(`${(e as Error).message}\nDLQ: ${entries.map((x) => x.message).join('\n')}`);
  });
  const [status] = await runtime.api['status.get']({ flowId: 'sqlite-values' });
  expect(status!.dlqDepth).toBe(0);
}, 180_000);

test('an INTEGER mapped to a TEXT column on a two-way edge arrives as "1", not "1.0", and is not echoed', async () => {
  src.prepare('INSERT INTO counts (id, qty, note) VALUES (1, 1, NULL), (2, 2, NULL), (3, 9007199254740993, NULL)').run();
  await until('the counts', () => (dst.prepare('SELECT count(*) AS n FROM counts').get() as { n: number }).n === 3);
  await new Promise((r) => setTimeout(r, 500));
  expect(dst.prepare('SELECT id, qty, typeof(qty) AS t FROM counts ORDER BY id').all()).toEqual([
    { id: 1, qty: '1', t: 'text' },
    { id: 2, qty: '2', t: 'text' },
    { id: 3, qty: '9007199254740993', t: 'text' },
  ]);
  const dlq = await runtime.api['dlq.list']({ filter: {}, limit: 5, offset: 0 });
  expect(dlq.entries.map((e) => e.message)).toEqual([]);
  // The other direction brings b's note back and leaves a's INTEGERs as they were.
  dst.prepare(`UPDATE counts SET note = 'checked' WHERE id = 1`).run();
  await until('the note', () => (src.prepare('SELECT note FROM counts WHERE id = 1').get() as { note: string | null }).note === 'checked');
  expect(src.prepare('SELECT id, qty, typeof(qty) AS t FROM counts ORDER BY id').safeIntegers(true).all()).toEqual([
    { id: 1n, qty: 1n, t: 'integer' },
    { id: 2n, qty: 2n, t: 'integer' },
    { id: 3n, qty: 9007199254740993n, t: 'integer' },
  ]);
  const [status] = await runtime.api['status.get']({ flowId: 'sqlite-values' });
  expect(status!.dlqDepth).toBe(0);
}, 60_000);
