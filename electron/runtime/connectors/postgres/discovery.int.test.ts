import { afterAll, beforeAll, expect, test } from 'vitest';
import { PostgresConnector } from './connector.js';
import { usePostgres } from './test-support/use-postgres.js';

const db = usePostgres('discovery');
let connector: PostgresConnector;

beforeAll(async () => {
  const { admin } = db();
  await admin.query('CREATE SCHEMA crm');
  await admin.query(`CREATE TABLE public.accounts (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, balance numeric(12,2), tags text[], meta jsonb, opened date, seen timestamptz)`);
  await admin.query(`CREATE TABLE crm.people (org int, seq int, name text, PRIMARY KEY (org, seq))`);
  await admin.query(`CREATE TABLE public.loose (a int)`);
  await admin.query(`INSERT INTO accounts (email, balance, tags) VALUES ('a@x.io', 10.50, '{vip}'), (' B@X.io ', 0, NULL)`);
  await admin.query(`INSERT INTO crm.people VALUES (1, 1, 'Ann'), (1, 2, 'Bob')`);
  connector = new PostgresConnector({ config: { ...db().config, schemas: ['public', 'crm'] }, password: db().password, flowId: 'd', systemId: 's' });
});

afterAll(async () => {
  await connector?.close();
});

test('discovers schemas, tables, columns, types and keys', async () => {
  const entities = await connector.discover();
  expect(entities.map((e) => [e.name, e.keyField, e.label])).toEqual([
    ['crm.people', 'org,seq', 'crm.people'],
    ['accounts', 'id', 'accounts'],
    ['loose', '', 'loose (no primary key)'],
  ]);
  const accounts = entities.find((e) => e.name === 'accounts')!;
  expect(accounts.fields.map((f) => [f.name, f.type, f.nativeType, f.nullable, f.primaryKey])).toEqual([
    ['id', 'integer', 'bigint', false, true],
    ['email', 'string', 'text', false, false],
    ['balance', 'number', 'numeric(12,2)', true, false],
    ['tags', 'array', 'text[]', true, false],
    ['meta', 'json', 'jsonb', true, false],
    ['opened', 'date', 'date', true, false],
    ['seen', 'datetime', 'timestamp with time zone', true, false],
  ]);
});

test('reads samples, records by key (composite too) and records by field', async () => {
  const samples = await connector.readSamples('accounts', 10);
  expect(samples.map((r) => [r.key, r.fields.balance, r.fields.tags])).toEqual([
    ['1', '10.50', ['vip']],
    ['2', '0.00', null],
  ]);
  expect((await connector.readByKeys('accounts', ['2', '99'])).map((r) => r.key)).toEqual(['2']);
  const people = await connector.readByKeys('crm.people', ['[1,2]']);
  expect(people).toEqual([{ key: '[1,2]', fields: { org: 1, seq: 2, name: 'Bob' } }]);
  expect((await connector.findByField('accounts', 'email', ['b@x.io'], 'lowercase-trim')).map((r) => r.key)).toEqual(['2']);
  expect(await connector.findByField('accounts', 'email', ['b@x.io'], 'exact')).toEqual([]);
});
