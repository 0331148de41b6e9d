import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiOutputs, RuntimeEvent } from '../../../shared/api/contract.js';
import { SecretUnavailableError } from '../secrets/secret-store.js';
import { ApiError, type ApiHandlers } from './handlers.js';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { createApiToken } from './http-token.js';

/** A small real handler table: a few methods answer, the rest say they are not part of this test. */
function handlerTable(calls: string[]): ApiHandlers {
  const unavailable = (method: string) => async () => {
    throw new ApiError('unavailable', `${method} is not part of this test`);
  };
  const table: Record<string, (input: never) => Promise<unknown>> = {};
  for (const method of ['workspace.info', 'flows.list', 'flows.get', 'flows.save', 'flows.validate', 'flows.delete', 'flows.start', 'flows.stop', 'status.get', 'metrics.series', 'dlq.list', 'dlq.get', 'dlq.replay', 'dlq.discard', 'preview.run', 'connectors.list', 'connectors.test', 'connectors.discover', 'secrets.set', 'secrets.status']) {
    table[method] = unavailable(method);
  }
  const info: ApiOutputs['workspace.info'] = { name: 'Test', path: '/tmp/ws', demo: true, version: '0.1.0', keychain: { available: false, message: 'n/a' } };
  return {
    ...(table as unknown as ApiHandlers),
    'workspace.info': async () => {
      calls.push('workspace.info');
      return info;
    },
    'dlq.list': async (input) => {
      calls.push('dlq.list');
      return { total: input.limit * 1000 + input.offset, entries: [] };
    },
    'flows.get': async ({ flowId }) => {
      calls.push('flows.get');
      throw new ApiError('not_found', `No flow "${flowId}": list flows with flows.list.`);
    },
    'flows.delete': async () => {
      calls.push('flows.delete');
      throw new Error('db password hunter2 leaked in a bug');
    },
    'secrets.set': async () => {
      calls.push('secrets.set');
      throw new SecretUnavailableError('The OS keychain is unavailable: test.');
    },
  };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Raw requests, so paths reach the server exactly as written (fetch would normalise `..`). */
function raw(port: number, method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('startHttpServer', () => {
  const token = createApiToken();
  const calls: string[] = [];
  const listeners = new Set<(e: RuntimeEvent) => void>();
  const logged: string[] = [];
  let dir: string;
  let server: RunningHttpServer;
  let base: string;

  const call = (method: string, body: string | undefined, auth: string | null = `Bearer ${token}`) =>
    raw(server.port, 'POST', `/api/call/${method}`, { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-http-'));
    const ui = path.join(dir, 'ui');
    await mkdir(path.join(ui, 'assets'), { recursive: true });
    await writeFile(path.join(ui, 'index.html'), '<!doctype html><title>SyncCanvas</title>');
    await writeFile(path.join(ui, 'assets', 'app-1234.js'), 'console.log(1)');
    await writeFile(path.join(ui, 'assets', 'style.css'), 'body{}');
    await writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET');
    await symlink(path.join(dir, 'secret.txt'), path.join(ui, 'escape.txt'));
    server = await startHttpServer({
      handlers: handlerTable(calls),
      token,
      staticDir: ui,
      heartbeatMs: 50,
      logError: (method) => logged.push(method),
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL that carries the token in the fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${token}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('refuses a missing or wrong token without calling any handler', async () => {
    const before = calls.length;
    const missing = await call('workspace.info', '{}', null);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(missing.text).error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/Missing API token/) });
    const wrong = await call('workspace.info', '{}', `Bearer ${token}x`);
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).error.message).toMatch(/Wrong API token/);
    const notBearer = await call('workspace.info', '{}', `Basic ${token}`);
    expect(notBearer.status).toBe(401);
    expect(calls.length).toBe(before);
  });

  it('answers a valid call with 200 and the handler output', async () => {
    const res = await fetch(`${base}/api/call/workspace.info`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ name: 'Test', demo: true });
  });

  it('applies the zod defaults before calling the handler, and treats an empty body as {}', async () => {
    const res = await call('dlq.list', '');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ total: 100_000, entries: [] });
  });

  it('rejects malformed JSON with 400 and a clear message', async () => {
    const res = await call('dlq.list', '{"limit": 5,');
    expect(res.status).toBe(400);
    const { error } = JSON.parse(res.text);
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('rejects input that fails the method schema with 400 and the issues, without calling the handler', async () => {
    const before = calls.filter((c) => c === 'dlq.list').length;
    const res = await call('dlq.list', JSON.stringify({ limit: 0, offset: 'x' }));
    expect(res.status).toBe(400);
    const { error } = JSON.parse(res.text);
    expect(error.code).toBe('bad_request');
    expect(error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['limit', 'offset']);
    expect(error.message).toMatch(/Invalid input for dlq\.list: .*limit/);
    expect(calls.filter((c) => c === 'dlq.list').length).toBe(before);
  });

  it('answers an unknown method with 404 and the list of known methods', async () => {
    const res = await call('flows.explode', '{}');
    expect(res.status).toBe(404);
    const { error } = JSON.parse(res.text);
    expect(error).toMatchObject({ code: 'not_found' });
    expect(error.message).toMatch(/Unknown API method "flows\.explode".*workspace\.info/);
    expect((await call('__proto__', '{}')).status).toBe(404);
  });

  it('maps ApiError codes and SecretUnavailableError to HTTP statuses', async () => {
    const notFound = await call('flows.get', JSON.stringify({ flowId: 'nope' }));
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.text).error).toEqual({ code: 'not_found', message: 'No flow "nope": list flows with flows.list.' });
    const unavailable = await call('secrets.set', JSON.stringify({ name: 'a', value: 'b' }));
    expect(unavailable.status).toBe(503);
    expect(JSON.parse(unavailable.text).error.message).toMatch(/OS keychain is unavailable/);
  });

  it('turns an unexpected error into a 500 that leaks neither message nor stack', async () => {
    const res = await call('flows.delete', JSON.stringify({ flowId: 'f1' }));
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(/hunter2|at .*\.ts|Error:/);
    expect(JSON.parse(res.text).error).toEqual({ code: 'internal', message: 'Internal error in flows.delete; the runtime log has the details.' });
    expect(logged).toContain('flows.delete');
  });

  it('rejects a body over the limit with 413', async () => {
    const small = await startHttpServer({ handlers: handlerTable([]), token, maxBodyBytes: 64 });
    try {
      const res = await raw(small.port, 'POST', '/api/call/flows.validate', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify({ flow: 'x'.repeat(500) }));
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).error.message).toMatch(/larger than 64 bytes/);
    } finally {
      await small.close();
    }
  });

  it('rejects GET on a call route and requests addressed to a foreign Host', async () => {
    const get = await raw(server.port, 'GET', '/api/call/workspace.info', { authorization: `Bearer ${token}` });
    expect(get.status).toBe(405);
    const rebinding = await raw(server.port, 'POST', '/api/call/workspace.info', { authorization: `Bearer ${token}`, host: 'evil.example:80' }, '{}');
    expect(rebinding.status).toBe(403);
  });

  it('streams runtime events as server-sent events, with ?token=, and unsubscribes on disconnect', async () => {
    expect((await raw(server.port, 'GET', '/api/events')).status).toBe(401);
    expect((await raw(server.port, 'GET', '/api/events?token=nope-nope-nope-nope')).status).toBe(401);

    const abort = new AbortController();
    const res = await fetch(`${base}/api/events?token=${encodeURIComponent(token)}`, { signal: abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(listeners.size).toBe(1);
    const event: RuntimeEvent = { type: 'notice', level: 'info', message: 'hello from the runtime' };
    for (const l of listeners) l(event);

    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('data: ')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    const dataLine = received.split('\n').find((l) => l.startsWith('data: '))!;
    expect(JSON.parse(dataLine.slice(6))).toEqual(event);
    while (!received.includes(': ping')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    expect(received).toContain(': ping');
    abort.abort();
    await expect.poll(() => listeners.size).toBe(0);
  });

  it('serves the UI with content types, a strict CSP and an SPA fallback', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>SyncCanvas</title>');

    const js = await fetch(`${base}/assets/app-1234.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${base}/assets/style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    const route = await fetch(`${base}/flows/demo/dlq`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>SyncCanvas</title>');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await raw(server.port, 'HEAD', '/')).status).toBe(200);
    expect((await raw(server.port, 'DELETE', '/')).status).toBe(405);
  });

  it('never serves a file outside the static folder', async () => {
    for (const attempt of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/escape.txt', `/${encodeURIComponent(dir)}/secret.txt`]) {
      const res = await raw(server.port, 'GET', attempt);
      expect(res.text, attempt).not.toContain('TOP-SECRET');
      expect([200, 400, 404], attempt).toContain(res.status);
    }
    expect((await raw(server.port, 'GET', '/%E0%A4%A')).status).toBe(400);
    expect((await raw(server.port, 'GET', '/a%00.js')).status).toBe(400);
  });

  it('refuses to bind anywhere but loopback without TLS and users', async () => {
    await expect(startHttpServer({ handlers: handlerTable([]), host: '0.0.0.0' })).rejects.toThrow(/without TLS: give a certificate and key/);
    const tls = { cert: 'not checked before the users', key: 'x' };
    await expect(startHttpServer({ handlers: handlerTable([]), host: '0.0.0.0', tls, users: { authenticate: () => null, count: () => 0 } })).rejects.toThrow(/with no users: add the people/);
    await expect(startHttpServer({ handlers: handlerTable([]), token: 'short' })).rejects.toThrow(/at least 16/);
    const generated = await startHttpServer({ handlers: handlerTable([]) });
    try {
      expect(generated.token.length).toBeGreaterThanOrEqual(43);
      expect(generated.url).toContain(`#token=${generated.token}`);
      const api = await fetch(`http://127.0.0.1:${generated.port}/`);
      expect(api.status).toBe(404);
    } finally {
      await generated.close();
    }
  });
});
