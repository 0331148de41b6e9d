import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { usePostgres, waitFor } from '../connectors/postgres/test-support/use-postgres.js';
import { signPayload } from '../connectors/webhook/signature.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { MemorySecretStore } from '../secrets/memory-store.js';

/**
 * Webhook → Postgres through the whole runtime: ids beyond 2^53, long decimals and big numbers
 * inside JSON documents reach Postgres digit for digit (Postgres compares them with what was
 * sent), and the sender's 2xx means the value was kept.
 */

const db = usePostgres('values_wh');
const SECRET = 'whsec_values';
let dir: string;
let runtime: Runtime;
let client: pg.Client;
let url: string;
let delivery = 0;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const { admin, server, database, password } = db();
  client = admin;
  await admin.query('CREATE TABLE accounts (id numeric PRIMARY KEY, balance numeric, note text, doc jsonb, big bigint)');
  const port = await freePort();
  url = `http://127.0.0.1:${port}/hooks`;
  dir = mkdtempSync(join(tmpdir(), 'sc-values-wh-'));
  runtime = await openRuntime({ workspaceDir: join(dir, 'ws'), resume: false, secrets: new MemorySecretStore({ 'pg-password': password, 'wh-secret': SECRET }) });
  const saved = await runtime.api['flows.save']({
    flow: {
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'wh-values',
      name: 'webhook values',
      systems: [
        {
          id: 'hook',
          name: 'hook',
          kind: 'webhook',
          config: {
            host: '127.0.0.1',
            port,
            path: '/hooks',
            entities: [
              {
                name: 'accounts',
                primaryKey: 'id',
                fields: [
                  { name: 'id', type: 'integer', required: true },
                  { name: 'balance', type: 'number' },
                  { name: 'note', type: 'string' },
                  { name: 'doc', type: 'json' },
                  { name: 'big', type: 'integer' },
                ],
              },
            ],
          },
          secretRefs: { signingSecret: 'wh-secret' },
        },
        {
          id: 'pg',
          name: 'pg',
          kind: 'postgres',
          config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' },
          secretRefs: { password: 'pg-password' },
        },
      ],
      syncs: [
        {
          id: 'accounts',
          a: { system: 'hook', entity: 'accounts' },
          b: { system: 'pg', entity: 'accounts' },
          direction: 'a-to-b',
          matchKey: { a: 'id', b: 'id', normalize: 'exact' },
          fields: ['id', 'balance', 'note', 'doc', 'big'].map((n) => ({ a: n, b: n, owner: 'a' as const })),
        },
      ],
    },
  });
  if (!saved.ok) throw new Error(JSON.stringify(saved.issues));
  await runtime.api['flows.start']({ flowId: 'wh-values' });
}, 60_000);

afterAll(async () => {
  await runtime?.api['flows.delete']({ flowId: 'wh-values' }).catch(() => {});
  await runtime?.close({ drainMs: 0 });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function send(recordJson: string): Promise<{ status: number; body: string }> {
  const body = `{"id":"d-${++delivery}","entity":"accounts","op":"upsert","record":${recordJson}}`;
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signPayload({ scheme: 'hmac', signatureHeader: 'X-SyncCanvas-Signature', timestampHeader: 'X-SyncCanvas-Timestamp', prefix: 'sha256=', encoding: 'hex', separator: '.', timestampFormat: 'unix' }, SECRET, body) } });
  return { status: res.status, body: await res.text() };
}

const bigInt = fc.bigInt({ min: -(10n ** 35n), max: 10n ** 35n }).map(String);
const longDecimal = fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 25n })).map(([i, f]) => `${i}.${f.toString().padStart(25, '0')}`);
const jsonNumber = fc.oneof(bigInt, longDecimal, fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '0' : String(d))), fc.constantFrom('1e400', '-1E-400', '0.1000000000000000055511151231257827'));
const doc = fc.oneof(
  jsonNumber,
  fc.tuple(jsonNumber, jsonNumber, fc.string({ maxLength: 10 })).map(([a, b, s]) => `{"a":${a},"nested":{"b":[${b},null,true]},"s":${JSON.stringify(s)}}`),
  fc.constant('null'),
);

test('ids beyond 2^53, long decimals and big numbers in documents arrive digit for digit', async () => {
  let id = 10n ** 29n;
  await fc.assert(
    fc.asyncProperty(fc.tuple(longDecimal, fc.string({ maxLength: 30 }), doc, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), async ([balance, note, docText, big]) => {
      const key = String(++id * 1_234_567n);
      const res = await send(`{"id":${key},"balance":${balance},"note":${JSON.stringify(note)},"doc":${docText},"big":${big}}`);
      expect(res.status, res.body).toBe(200);
      await waitFor(async () => (await client.query('SELECT 1 FROM accounts WHERE id = $1::numeric', [key])).rows.length === 1, 20_000, `account ${key}`);
      // A JSON null in a json field of a record is "no value": SQL NULL (docs/values.md).
      const same = await client.query(
        `SELECT balance IS NOT DISTINCT FROM $2::numeric AS balance, note IS NOT DISTINCT FROM $3 AS note,
                doc IS NOT DISTINCT FROM (CASE WHEN $4 = 'null' THEN NULL ELSE $4::jsonb END) AS doc, big IS NOT DISTINCT FROM $5::bigint AS big, id::text = $1 AS id
         FROM accounts WHERE id = $1::numeric`,
        [key, balance, note, docText, String(big)],
      );
      expect(same.rows[0]).toEqual({ balance: true, note: true, doc: true, big: true, id: true });
    }),
    { numRuns: 25, seed: 99, endOnFailure: true },
  );
  const [status] = await runtime.api['status.get']({ flowId: 'wh-values' });
  expect(status!.dlqDepth).toBe(0);
}, 120_000);

test('the reported id 123456789012345678901234567890 is keyed by its digits, not 1.2345678901234568e+29', async () => {
  const res = await send('{"id":123456789012345678901234567890,"balance":12345678901234567890.123456789}');
  expect(res.status).toBe(200);
  await waitFor(async () => (await client.query(`SELECT 1 FROM accounts WHERE id = 123456789012345678901234567890`)).rows.length === 1, 20_000, 'the account');
  const row = await client.query(`SELECT balance::text AS b FROM accounts WHERE id = 123456789012345678901234567890`);
  expect(row.rows[0].b).toBe('12345678901234567890.123456789');
  const { entries } = await runtime.api['dlq.list']({ filter: {}, limit: 10, offset: 0 });
  expect(entries).toEqual([]);
});

test('a value the target column cannot hold is refused into the DLQ with its exact digits, never rounded', async () => {
  const res = await send('{"id":77,"big":92233720368547758070}');
  expect(res.status).toBe(200);
  await waitFor(async () => (await runtime.api['dlq.list']({ filter: {}, limit: 10, offset: 0 })).total === 1, 20_000, 'the DLQ entry');
  const { entries } = await runtime.api['dlq.list']({ filter: {}, limit: 10, offset: 0 });
  expect(entries[0]!.errorClass).toBe('validation');
  expect(entries[0]!.message).toMatch(/big.*92233720368547758070/);
  expect((await client.query('SELECT 1 FROM accounts WHERE id = 77')).rows).toEqual([]);
});
