import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { restConnector } from '../connectors/rest/definition.js';
import type { Connector } from '../connectors/types.js';

/**
 * Values to and from a REST API over a real loopback server: ids past 2^53 and long decimals read
 * from a response keep their digits, values captured from Postgres (exact decimals, json text,
 * bigint strings) are written digit for digit, and one JSON cannot hold is refused by name.
 */
let server: Server;
let connector: Connector;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.end('{"accounts":[{"id":123456789012345678901234567890,"balance":12345678901234567890.123456789,"doc":{"n":1e400}}]}');
        return;
      }
      received.push(`${req.url} ${body}`);
      res.end(`{"id":${/\/accounts\/(\d+)/.exec(req.url ?? '')?.[1] ?? '0'}}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const config = restConnector.configSchema.parse({
    version: 1,
    name: 'ledger',
    label: 'Ledger',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth: { type: 'none' },
    entities: [
      {
        name: 'accounts',
        primaryKey: 'id',
        fields: [{ name: 'id', type: 'integer' }, { name: 'balance', type: 'number' }, { name: 'doc', type: 'json' }, { name: 'ratio', type: 'number' }],
        read: { request: { path: '/accounts', recordsPath: 'accounts' } },
        write: { upsert: { method: 'PUT', path: '/accounts/{id}' } },
      },
    ],
  });
  connector = restConnector.create({ config, secrets: {}, flowId: 'f', systemId: 'ledger', dataDir: '/nonexistent' });
});

afterAll(async () => {
  await connector?.close();
  await new Promise((r) => server.close(r));
});

it('reads ids past 2^53 and long decimals from a response with their digits', async () => {
  const [rec] = await connector.readSamples('accounts', 10);
  expect(rec!.key).toBe('123456789012345678901234567890');
  expect(rec!.fields).toMatchObject({ balance: { $dec: '12345678901234567890.123456789' }, doc: { n: { $dec: '1e400' } } });
});

it('writes Postgres values digit for digit: numeric and bigint text, exact decimals, json documents', async () => {
  const [ok] = await connector.write(
    'accounts',
    [{ kind: 'upsert', key: null, fields: { id: { $dec: '123456789012345678901234567891' }, balance: { $dec: '0.1000000000000000055511151231257827' }, doc: { $json: '{"a": 12345678901234567890.5, "b": null}' }, ratio: 0.1 }, idempotencyKey: 'ik-1', sourceTime: 1 }],
    'synccanvas:f',
  );
  expect(ok).toEqual({ ok: true, key: '123456789012345678901234567891' });
  expect(received.at(-1)).toBe('/accounts/123456789012345678901234567891 {"balance":0.1000000000000000055511151231257827,"doc":{"a": 12345678901234567890.5, "b": null},"ratio":0.1}');
});

it('refuses a value JSON cannot hold, naming the field, instead of sending null', async () => {
  const before = received.length;
  const [bad] = await connector.write('accounts', [{ kind: 'upsert', key: '7', fields: { id: 7, ratio: { $pg: 'float8', text: 'NaN' } }, idempotencyKey: 'ik-2', sourceTime: 1 }], 'synccanvas:f');
  expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation', message: expect.stringMatching(/field "ratio" of accounts cannot be sent as JSON: .*NaN/) } });
  expect(received.length).toBe(before);
});
