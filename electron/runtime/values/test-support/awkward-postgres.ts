import fc from 'fast-check';
import type pg from 'pg';

/**
 * Awkward Postgres values: each column with a generator of input texts (fed as `$n::type`), so a
 * test can write random rows and compare source and target in Postgres itself.
 */

export interface AwkwardColumn {
  name: string;
  type: string;
  /** Texts Postgres reads into a value of `type` (null: SQL NULL). */
  values: fc.Arbitrary<string | null>;
  /** False for types without an equality operator (json): compared by their text only. */
  comparable: boolean;
}

export const AWKWARD_TYPES_SQL = `
  DO $$ BEGIN
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'Ünïcode ☃');
  EXCEPTION WHEN duplicate_object THEN NULL; END $$;
  DO $$ BEGIN
    CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
  EXCEPTION WHEN duplicate_object THEN NULL; END $$;
`;

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const nullable = (a: fc.Arbitrary<string>) => fc.option(a, { nil: null, freq: 8 });
const pad = (n: number, w: number) => String(n).padStart(w, '0');

const bigDecimal = fc.tuple(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.nat({ max: 30 })).map(([digits, scale]) => {
  const s = (digits < 0n ? -digits : digits).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  return `${digits < 0n ? '-' : ''}${body}`;
});

const floatText = (a: fc.Arbitrary<number>) => a.map((x) => (Object.is(x, -0) ? '-0' : String(x)));

const awkwardText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replace(/\u0000/g, '')).filter((s) => Buffer.from(s, 'utf8').toString('utf8') === s),
  pick('é', 'e\u0301', '👩‍👩‍👧‍👦🏳️‍🌈', '\u202Eabc\u202C', 'a\u200Bb\u200D', '', ' ', 'NULL', 'null', '\\', '"', "'", 'line\nbreak\ttab'),
  fc.nat({ max: 1000 }).map((n) => `${'x'.repeat(40_000)}${n}`),
);

const date = fc
  .tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.boolean())
  // Timestamps reach back to 4713 BC.
  .map(([y, m, d, bc]) => `${pad(bc ? (y % 4700) + 1 : y, 4)}-${pad(m, 2)}-${pad(d, 2)}${bc ? ' BC' : ''}`);
const time = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([h, m, s, us]) => `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(us, 6)}`);
const offset = pick('+00', '+05:30', '-12', '+14', '-03:30');
const timestamp = (withZone: boolean) =>
  fc.oneof(
    { weight: 1, arbitrary: pick('infinity', '-infinity') },
    {
      weight: 6,
      arbitrary: fc.tuple(date, time, offset).map(([d, t, z]) => {
        const bc = d.endsWith(' BC');
        return `${bc ? d.slice(0, -3) : d} ${t}${withZone ? z : ''}${bc ? ' BC' : ''}`;
      }),
    },
  );

function arrayLiteral(elements: fc.Arbitrary<string | null>): fc.Arbitrary<string> {
  const quote = (v: string | null) => (v === null ? 'NULL' : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  const oneDim = fc.array(elements, { maxLength: 5 }).map((xs) => `{${xs.map(quote).join(',')}}`);
  const twoDim = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
    .chain(([r, c]) => fc.array(fc.array(elements, { minLength: c, maxLength: c }), { minLength: r, maxLength: r }))
    .map((rows) => `{${rows.map((r) => `{${r.map(quote).join(',')}}`).join(',')}}`);
  const bounded = fc
    .tuple(fc.integer({ min: -3, max: 5 }), fc.array(elements, { minLength: 1, maxLength: 4 }))
    .map(([lo, xs]) => `[${lo}:${lo + xs.length - 1}]={${xs.map(quote).join(',')}}`);
  return fc.oneof(oneDim, twoDim, bounded);
}

const jsonDoc = fc.oneof(
  pick(
    'null',
    '12345678901234567890.123456789',
    '1e400',
    '-0',
    '"scalar"',
    '{"b": 1, "a": 2, "b": 3}',
    '[1, 2.50, {"z": null, "a": [true, false]}]',
    '{"id": 123456789012345678901234567890, "x": 0.1000000000000000055511151231257827}',
    '  { "spaced" :  1 }  ',
  ),
  // jsonb cannot store \u0000 (Postgres refuses it on input, so no source can hold it).
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)).filter((s) => !s.includes('\\u0000')),
);

export const AWKWARD_COLUMNS: AwkwardColumn[] = [
  { name: 'n', type: 'numeric', values: nullable(fc.oneof(pick('NaN', 'Infinity', '-Infinity', '0', '-0.000'), bigDecimal)), comparable: true },
  { name: 'n_scaled', type: 'numeric(40,10)', values: nullable(pick('1.5000000000', '-0.0000000001', '123456789012345678901234567890.1234567890')), comparable: true },
  { name: 'f4', type: 'real', values: nullable(fc.oneof(floatText(fc.float()), pick('NaN', 'Infinity', '-Infinity', '-0', '1.1'))), comparable: true },
  { name: 'f8', type: 'double precision', values: nullable(fc.oneof(floatText(fc.double()), pick('NaN', 'Infinity', '-Infinity', '-0', '5e-324', '1.7976931348623157e+308'))), comparable: true },
  { name: 'i8', type: 'bigint', values: nullable(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)), comparable: true },
  { name: 'm', type: 'money', values: nullable(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }).map((c) => (Number(c) / 100).toFixed(2))), comparable: true },
  { name: 't', type: 'text', values: nullable(awkwardText), comparable: true },
  { name: 'b', type: 'bytea', values: nullable(fc.uint8Array({ maxLength: 64 }).map((a) => `\\x${Buffer.from(a).toString('hex')}`)), comparable: true },
  { name: 'bo', type: 'boolean', values: nullable(pick('true', 'false')), comparable: true },
  { name: 'd', type: 'date', values: nullable(fc.oneof(date, pick('infinity', '-infinity'))), comparable: true },
  { name: 'tm', type: 'time', values: nullable(fc.oneof(time, pick('24:00:00'))), comparable: true },
  { name: 'ttz', type: 'timetz', values: nullable(fc.tuple(time, offset).map(([t, z]) => t + z)), comparable: true },
  { name: 'ts', type: 'timestamp', values: nullable(timestamp(false)), comparable: true },
  { name: 'tstz', type: 'timestamptz', values: nullable(timestamp(true)), comparable: true },
  { name: 'iv', type: 'interval', values: nullable(pick('1 year 2 mons -3 days 04:05:06.789012', '-178000000 years', '00:00:00.000001', '@ 1 minute ago', 'P1Y2M3DT4H5M6.5S')), comparable: true },
  { name: 'u', type: 'uuid', values: nullable(fc.tuple(fc.uuid(), fc.boolean()).map(([u, up]) => (up ? u.toUpperCase() : u))), comparable: true },
  { name: 'e', type: 'mood', values: nullable(pick('sad', 'ok', 'happy', 'Ünïcode ☃')), comparable: true },
  { name: 'ip', type: 'inet', values: nullable(pick('192.168.0.1/24', '10.0.0.1', '::1', '2001:db8::ff00:42:8329/64')), comparable: true },
  { name: 'cn', type: 'cidr', values: nullable(pick('10.0.0.0/8', '2001:db8::/32', '192.168.100.128/25')), comparable: true },
  { name: 'dom', type: 'positive_int', values: nullable(fc.integer({ min: 1, max: 2 ** 31 - 1 }).map(String)), comparable: true },
  { name: 'ai', type: 'int[]', values: nullable(arrayLiteral(fc.option(fc.integer().map(String), { nil: null }))), comparable: true },
  { name: 'at', type: 'text[]', values: nullable(arrayLiteral(fc.option(fc.oneof(pick('NULL', '', ' ', 'a,b', '{x}', 'q"t', 'b\\s'), fc.string({ maxLength: 8 }).map((s) => s.replace(/\u0000/g, ''))), { nil: null }))), comparable: true },
  { name: 'af', type: 'double precision[]', values: nullable(pick('{NaN,Infinity,-Infinity,-0,1.5}', '{{1,2},{3,NULL}}', '[2:3]={0.1,-0}')), comparable: true },
  { name: 'aj', type: 'jsonb[]', values: nullable(pick('{"{\\"a\\": 12345678901234567890.5}",NULL,"null"}', '{}')), comparable: true },
  { name: 'j', type: 'json', values: nullable(jsonDoc), comparable: false },
  { name: 'jb', type: 'jsonb', values: nullable(jsonDoc), comparable: true },
];

export function createAwkwardTable(table: string, columns: AwkwardColumn[] = AWKWARD_COLUMNS): string {
  return `CREATE TABLE ${table} (id bigint PRIMARY KEY, ${columns.map((c) => `${c.name} ${c.type}`).join(', ')}, toasted text)`;
}

export interface AwkwardRow {
  id: string;
  values: Array<string | null>;
}

export const awkwardRow = (id: fc.Arbitrary<bigint>, columns: AwkwardColumn[] = AWKWARD_COLUMNS): fc.Arbitrary<AwkwardRow> =>
  fc.tuple(id, fc.tuple(...columns.map((c) => c.values))).map(([i, values]) => ({ id: String(i), values }));

/** Upserts rows (every column given as text, cast by Postgres). */
export async function writeAwkwardRows(client: pg.ClientBase, table: string, rows: AwkwardRow[], columns: AwkwardColumn[] = AWKWARD_COLUMNS): Promise<void> {
  const cols = columns.map((c) => c.name);
  for (const row of rows) {
    const params = columns.map((c, j) => `$${j + 2}::text::${c.type}`);
    await client.query(
      `INSERT INTO ${table} (id, ${cols.join(', ')}) VALUES ($1::bigint, ${params.join(', ')}) ON CONFLICT (id) DO UPDATE SET ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
      [row.id, ...row.values],
    );
  }
}

/** Seeded rows for a writer outside fast-check (the CLI test). */
export function seededAwkwardRows(seed: number, count: number, firstId = 1): AwkwardRow[] {
  const rows = fc.sample(awkwardRow(fc.constant(0n)), { seed, numRuns: count });
  return rows.map((r, i) => ({ ...r, id: String(firstId + i) }));
}

/**
 * Rows where source and target differ, compared by Postgres: native equality where the type has
 * one (`IS NOT DISTINCT FROM`) and the printed text too (it tells -0 from 0, bounds, json spelling).
 */
export async function differences(client: pg.ClientBase, source: string, target: string, ids?: string[], columns: AwkwardColumn[] = AWKWARD_COLUMNS): Promise<Array<{ id: string; column: string; source: string | null; target: string | null }>> {
  const checks = [...columns.map((c) => ({ name: c.name, comparable: c.comparable })), { name: 'toasted', comparable: true }];
  const where = ids ? 'WHERE COALESCE(lhs.id, rhs.id) = ANY($1::bigint[])' : '';
  const res = await client.query(
    `SELECT COALESCE(lhs.id, rhs.id)::text AS id, lhs.id IS NULL AS missing_source, rhs.id IS NULL AS missing_target, ARRAY[${checks
      .map((c) => `CASE WHEN ${c.comparable ? `lhs.${c.name} IS DISTINCT FROM rhs.${c.name} OR ` : ''}lhs.${c.name}::text IS DISTINCT FROM rhs.${c.name}::text THEN '${c.name}' END`)
      .join(', ')}] AS bad, row_to_json(lhs)::text AS s_row, row_to_json(rhs)::text AS t_row
     FROM ${source} lhs FULL JOIN ${target} rhs ON lhs.id = rhs.id ${where}`,
    ids ? [ids] : [],
  );
  const out: Array<{ id: string; column: string; source: string | null; target: string | null }> = [];
  for (const r of res.rows as Array<{ id: string; missing_source: boolean; missing_target: boolean; bad: Array<string | null>; s_row: string | null; t_row: string | null }>) {
    if (r.missing_source || r.missing_target) {
      out.push({ id: r.id, column: r.missing_target ? '(row missing in target)' : '(row missing in source)', source: r.s_row?.slice(0, 300) ?? null, target: r.t_row?.slice(0, 300) ?? null });
      continue;
    }
    for (const column of r.bad) if (column) out.push({ id: r.id, column, source: null, target: null });
  }
  if (out.length > 0) {
    // Fill in the texts of differing columns, for a readable failure.
    for (const d of out.filter((x) => !x.column.startsWith('('))) {
      const v = await client.query(`SELECT lhs.${d.column}::text AS s, rhs.${d.column}::text AS t FROM ${source} lhs JOIN ${target} rhs ON lhs.id = rhs.id WHERE lhs.id = $1::bigint`, [d.id]);
      d.source = (v.rows[0] as { s: string | null }).s?.slice(0, 200) ?? null;
      d.target = (v.rows[0] as { t: string | null }).t?.slice(0, 200) ?? null;
    }
  }
  return out;
}
