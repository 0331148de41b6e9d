import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthSchema } from '../definitions/format.js';
import { verifyPayload } from '../webhook/signature.js';
import { ApiCaller } from './api-caller.js';
import { Authenticator } from './auth.js';
import { errorForException, HttpClient, HttpSyncError } from './http-client.js';
import { restConnector } from './definition.js';

const servers: Server[] = [];
async function serve(handler: Parameters<typeof createHttpServer>[1], factory: () => Server = () => createHttpServer()): Promise<string> {
  const s = factory();
  s.on('request', handler!);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `${s instanceof tls.Server ? 'https' : 'http'}://127.0.0.1:${(s.address() as AddressInfo).port}`;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => { s.close(r); s.closeAllConnections(); })));
});

describe('TLS', () => {
  let dir: string;
  let key: Buffer;
  let cert: string;
  const saved = { min: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // A permissive process default (as `--tls-min-v1.0` would give): only our own floor may refuse.
    tls.DEFAULT_MIN_VERSION = 'TLSv1';
    tls.DEFAULT_CIPHERS = 'DEFAULT@SECLEVEL=0';
  });
  afterAll(() => {
    tls.DEFAULT_MIN_VERSION = saved.min;
    tls.DEFAULT_CIPHERS = saved.ciphers;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a TLS 1.1 server that a default client would talk to, as a permanent error', async () => {
    const url = await serve((_q, r) => r.end('{}'), () => createHttpsServer({ key, cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
    const loose = new Agent({ connect: { ca: cert } });
    const control = await request(url, { dispatcher: loose });
    expect(control.statusCode).toBe(200);
    await control.body.text();
    await loose.close();

    const client = new HttpClient({ baseUrl: url, ca: cert });
    const err = await client.send({ method: 'GET', url: '/' }).then(() => null, (e: unknown) => e);
    await client.close();
    expect(err).not.toBeNull();
    const classified = errorForException(err, 'GET /');
    expect(classified.errorClass).toBe('permanent');
    expect(classified.message).toMatch(/TLS 1\.2 or newer/);
  });

  it('talks to a TLS 1.2 server with a trusted certificate', async () => {
    const url = await serve((_q, r) => r.end('{"ok":true}'), () => createHttpsServer({ key, cert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }));
    const client = new HttpClient({ baseUrl: url, ca: cert });
    expect((await client.send({ method: 'GET', url: '/' })).text).toBe('{"ok":true}');
    await client.close();
  });

  it('allows plain http only on loopback', () => {
    expect(() => new HttpClient({ baseUrl: 'http://api.example.com' })).toThrow(/must use https/);
    expect(() => new HttpClient({ baseUrl: 'ftp://127.0.0.1' })).toThrow(/must use https/);
  });
});

describe('connection pooling', () => {
  it('sends 60 concurrent requests over at most `connections` keep-alive sockets', async () => {
    let sockets = 0;
    const url = await serve((_q, r) => setTimeout(() => r.end('{}'), 5));
    servers.at(-1)!.on('connection', () => sockets++);
    const client = new HttpClient({ baseUrl: url, connections: 4 });
    await Promise.all(Array.from({ length: 60 }, () => client.send({ method: 'GET', url: '/x' })));
    await Promise.all(Array.from({ length: 20 }, () => client.send({ method: 'GET', url: '/y' })));
    await client.close();
    expect(sockets).toBeGreaterThan(0);
    expect(sockets).toBeLessThanOrEqual(4);
  });
});

describe('auth', () => {
  it('OAuth2 client credentials: one token fetch for concurrent calls, refresh on expiry and after a 401', async () => {
    let tokenRequests = 0;
    let current = '';
    const issued: string[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/oauth/token') {
          tokenRequests++;
          const form = new URLSearchParams(body);
          const basic = Buffer.from('client-1:s3cret').toString('base64');
          if (req.headers.authorization !== `Basic ${basic}` || form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'crm.read') {
            res.writeHead(400).end('{"error":"invalid_client"}');
            return;
          }
          current = `tok-${tokenRequests}`;
          issued.push(current);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: current, token_type: 'Bearer', expires_in: 3600 }));
          return;
        }
        const ok = req.headers.authorization === `Bearer ${current}`;
        res.writeHead(ok ? 200 : 401).end(ok ? '{"ok":true}' : '{"error":"expired"}');
      });
    });
    const http = new HttpClient({ baseUrl: url });
    const spec = AuthSchema.parse({ type: 'oauth2-client-credentials', tokenUrl: '/oauth/token', clientId: 'client-1', scope: 'crm.read' });
    const api = new ApiCaller(http, new Authenticator(spec, { clientSecret: 's3cret' }, {}, http), {});
    await Promise.all(Array.from({ length: 10 }, () => api.call({ method: 'GET', url: '/data' }, 'read')));
    expect(tokenRequests).toBe(1);
    current = 'revoked-by-server';
    const res = await api.call({ method: 'GET', url: '/data' }, 'read');
    expect(res.json).toEqual({ ok: true });
    expect(tokenRequests).toBe(2);

    const bad = new ApiCaller(http, new Authenticator(spec, { clientSecret: 'wrong' }, {}, http), {});
    const err = await bad.call({ method: 'GET', url: '/data' }, 'read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpSyncError);
    expect((err as HttpSyncError).error).toMatchObject({ errorClass: 'permanent' });
    expect((err as HttpSyncError).error.message).toMatch(/check the client id and secret/);
    await http.close();
  });

  it('bearer, API key (header and query) and basic put the credential where the API expects it', async () => {
    const seen: { auth?: string; key?: string; url?: string }[] = [];
    const url = await serve((req, res) => {
      seen.push({ auth: req.headers.authorization, key: req.headers['x-api-key'] as string | undefined, url: req.url });
      res.end('{}');
    });
    const http = new HttpClient({ baseUrl: url });
    const call = (auth: unknown, secrets: Record<string, string>) => new ApiCaller(http, new Authenticator(AuthSchema.parse(auth), secrets, { config: { email: 'a@b.io' } }, http), {}).call({ method: 'GET', url: '/r' }, 'r');
    await call({ type: 'bearer' }, { token: 't1' });
    await call({ type: 'api-key', name: 'X-API-Key' }, { apiKey: 'k1' });
    await call({ type: 'api-key', in: 'query', name: 'api_key' }, { apiKey: 'k2' });
    await call({ type: 'basic', username: '{config.email}/token' }, { password: 'p1' });
    expect(seen).toEqual([
      { auth: 'Bearer t1', key: undefined, url: '/r' },
      { auth: undefined, key: 'k1', url: '/r' },
      { auth: undefined, key: undefined, url: '/r?api_key=k2' },
      { auth: `Basic ${Buffer.from('a@b.io/token:p1').toString('base64')}`, key: undefined, url: '/r' },
    ]);
    const missing = await call({ type: 'bearer' }, {}).catch((e: unknown) => (e as Error).message);
    expect(missing).toMatch(/secret "token" is not set/);
    await http.close();
  });
});

describe('"Any REST API" connector', () => {
  it('is configured by a definition: offset pages, signed outbound writes with origin header, 429 → unavailable', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ sku: `S${i}`, qty: i, updated: 1_700_000_000 + i }));
    const writes: { headers: Record<string, unknown>; body: string }[] = [];
    let limit429 = 0;
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const u = new URL(req.url!, 'http://x');
        if (limit429 > 0) {
          limit429--;
          res.writeHead(429, { 'retry-after': '3' }).end('{"error":"slow down"}');
          return;
        }
        if (req.method === 'GET' && u.pathname === '/api/items') {
          const off = Number(u.searchParams.get('offset'));
          const lim = Number(u.searchParams.get('limit'));
          res.end(JSON.stringify({ items: rows.slice(off, off + lim) }));
          return;
        }
        writes.push({ headers: req.headers, body });
        res.end(JSON.stringify({ sku: JSON.parse(body).sku }));
      });
    });
    const config = restConnector.configSchema.parse({
      version: 1,
      name: 'warehouse',
      label: 'Warehouse',
      baseUrl: url,
      auth: { type: 'none' },
      signOutbound: { scheme: 'hmac', prefix: 'sha256=' },
      entities: [
        {
          name: 'items',
          primaryKey: 'sku',
          cursorField: 'updated',
          cursorFormat: 'epoch-s',
          fields: [{ name: 'sku', type: 'string' }, { name: 'qty', type: 'integer' }, { name: 'updated', type: 'integer' }],
          read: { request: { path: '/api/items', recordsPath: 'items' }, pagination: { type: 'offset', pageSize: 3 } },
          write: { upsert: { method: 'PUT', path: '/api/items/{sku}' } },
        },
      ],
    });
    const c = restConnector.create({ config, secrets: { outboundSigningSecret: 'out-secret' }, flowId: 'f', systemId: 'wh', dataDir: '/nonexistent' });
    expect((await c.readSamples('items', 10)).map((r) => r.key)).toEqual(['S0', 'S1', 'S2', 'S3', 'S4', 'S5', 'S6']);
    const [ok] = await c.write('items', [{ kind: 'upsert', key: null, fields: { sku: 'S9', qty: 1 }, idempotencyKey: 'ik-1', sourceTime: 1 }], 'synccanvas:f');
    expect(ok).toEqual({ ok: true, key: 'S9' });
    const w = writes[0]!;
    expect(w.headers['x-synccanvas-origin']).toBe('synccanvas:f');
    expect(w.headers['idempotency-key']).toBe('ik-1');
    expect(verifyPayload({ scheme: 'hmac', signatureHeader: 'X-SyncCanvas-Signature', timestampHeader: 'X-SyncCanvas-Timestamp', prefix: 'sha256=', encoding: 'hex', separator: '.', timestampFormat: 'unix' }, 'out-secret', w.headers as Record<string, string>, Buffer.from(w.body), 300_000)).toMatchObject({ ok: true });
    limit429 = 1;
    const [limited] = await c.write('items', [{ kind: 'upsert', key: null, fields: { sku: 'S9', qty: 2 }, idempotencyKey: 'ik-2', sourceTime: 1 }], 'o');
    expect(limited).toMatchObject({ ok: false, error: { errorClass: 'unavailable', retryAfterMs: 3000, response: '{"error":"slow down"}' } });
    await c.close();
  });
});
