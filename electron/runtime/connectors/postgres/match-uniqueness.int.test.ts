import { afterAll, describe, expect, test } from 'vitest';
import type { FieldInfo } from '../types.js';
import { PostgresConnector } from './connector.js';
import { usePostgres } from './test-support/use-postgres.js';

/**
 * What discovery says each column keeps unique, read from the catalog of a real server, and the
 * statement it offers to add what is missing, run against that server.
 */
const db = usePostgres('match_unique');
const connectors: PostgresConnector[] = [];
afterAll(async () => {
  for (const c of connectors) await c.close();
});

async function field(table: string, column: string): Promise<FieldInfo> {
  const c = new PostgresConnector({ config: { ...db().config, schemas: ['public', 'Sales Data'] }, password: db().password, flowId: 'f-unique', systemId: 'billing' });
  connectors.push(c);
  const entity = (await c.discover()).find((e) => e.name === table);
  const f = entity?.fields.find((x) => x.name === column);
  if (!f) throw new Error(`no ${table}.${column} discovered`);
  return f;
}

const unique = async (table: string, column: string) => {
  const { exact, caseInsensitive } = (await field(table, column)).unique!;
  return { exact, caseInsensitive };
};

describe('discovered uniqueness of a match column', () => {
  test.each([
    ['no index', 'CREATE TABLE u_none (id bigserial PRIMARY KEY, email text)', 'u_none', 'email', { exact: false, caseInsensitive: false }],
    ['a unique constraint', 'CREATE TABLE u_plain (id bigserial PRIMARY KEY, email text UNIQUE)', 'u_plain', 'email', { exact: true, caseInsensitive: false }],
    ['the primary key', 'CREATE TABLE u_pk (email text PRIMARY KEY, name text)', 'u_pk', 'email', { exact: true, caseInsensitive: false }],
    ['unique lower(col)', 'CREATE TABLE u_lower (id bigserial PRIMARY KEY, email text); CREATE UNIQUE INDEX ON u_lower (lower(email))', 'u_lower', 'email', { exact: true, caseInsensitive: true }],
    ['unique lower(btrim(col)) on varchar', 'CREATE TABLE u_trim (id bigserial PRIMARY KEY, email varchar(200)); CREATE UNIQUE INDEX ON u_trim (lower(btrim(email)))', 'u_trim', 'email', { exact: true, caseInsensitive: true }],
    ['a quoted column name', 'CREATE TABLE u_quoted (id bigserial PRIMARY KEY, "E-Mail" text); CREATE UNIQUE INDEX ON u_quoted (lower("E-Mail"))', 'u_quoted', 'E-Mail', { exact: true, caseInsensitive: true }],
    ['a partial unique index (only some rows)', 'CREATE TABLE u_partial (id bigserial PRIMARY KEY, email text, active bool); CREATE UNIQUE INDEX ON u_partial (email) WHERE active', 'u_partial', 'email', { exact: false, caseInsensitive: false }],
    ['a unique index over two columns', 'CREATE TABLE u_pair (id bigserial PRIMARY KEY, email text, tenant int, UNIQUE (tenant, email))', 'u_pair', 'email', { exact: false, caseInsensitive: false }],
    ['another expression (upper)', 'CREATE TABLE u_upper (id bigserial PRIMARY KEY, email text); CREATE UNIQUE INDEX ON u_upper (upper(email))', 'u_upper', 'email', { exact: false, caseInsensitive: false }],
    ['a number (no letter case)', 'CREATE TABLE u_num (id bigserial PRIMARY KEY, account bigint UNIQUE)', 'u_num', 'account', { exact: true, caseInsensitive: true }],
  ])('%s', async (_what, ddl, table, column, expected) => {
    await db().admin.query(ddl);
    expect(await unique(table, column)).toEqual(expected);
  });

  test('the statements offered are valid SQL that make the column unique as matching needs', async () => {
    await db().admin.query('CREATE SCHEMA "Sales Data"; CREATE TABLE "Sales Data"."Customers" (id bigserial PRIMARY KEY, "Email" text, code text)');
    const email = (await field('Sales Data.Customers', 'Email')).unique!;
    expect(email.fix).toEqual({
      exact: 'CREATE UNIQUE INDEX CONCURRENTLY ON "Sales Data"."Customers" ("Email");',
      caseInsensitive: 'CREATE UNIQUE INDEX CONCURRENTLY ON "Sales Data"."Customers" (lower(btrim("Email")));',
    });
    await db().admin.query(email.fix.caseInsensitive);
    await db().admin.query((await field('Sales Data.Customers', 'code')).unique!.fix.exact);
    expect(await unique('Sales Data.Customers', 'Email')).toEqual({ exact: true, caseInsensitive: true });
    expect(await unique('Sales Data.Customers', 'code')).toEqual({ exact: true, caseInsensitive: false });
    // And Postgres now refuses what matching treats as the same value.
    await db().admin.query(`INSERT INTO "Sales Data"."Customers" ("Email") VALUES ('ann@example.com')`);
    await expect(db().admin.query(`INSERT INTO "Sales Data"."Customers" ("Email") VALUES (' ANN@example.com ')`)).rejects.toMatchObject({ code: '23505' });
  });
});
