import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiInputs, type ApiMethod } from '../../../shared/api/contract.js';
import { METHOD_ACCESS, ROLES, type Role } from '../../../shared/api/roles.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { MemorySecretStore } from '../secrets/memory-store.js';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { hasOpenssl } from '../test-support/openssl.js';

/**
 * Roles on a shared runtime, from outside: every API route called over HTTP with every role's token
 * (made by the store as `synccanvas users add` makes them) is allowed exactly when the role reaches
 * the route's minimum, else 403; every mutating call lands in the audit log with who made it and
 * never a value; and the server speaks TLS when given a certificate.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-roles-'));
let runtime: Runtime;
let server: RunningHttpServer;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
  for (const role of ROLES) tokens[role] = runtime.store.users.add(`${role} person`, role, Date.now());
  server = await startHttpServer({ handlers: runtime.api, users: runtime.store.users, audit: (e) => runtime.store.audit.add(e) });
});

afterAll(async () => {
  await server?.close();
  await runtime?.close({ drainMs: 0 });
  fs.rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, token: string, input: unknown = {}) => {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
};

describe('roles on synccanvas serve', () => {
  it('every route × every role: allowed exactly from the route\'s minimum role, else 403 with what is needed', async () => {
    const methods = Object.keys(ApiInputs) as ApiMethod[];
    expect(methods.length).toBeGreaterThan(30);
    const matrix: string[] = [];
    for (const method of methods) {
      for (const role of ROLES) {
        // An empty input: allowed calls answer 200 or say what input is missing (400/404), never 403.
        const { status, body } = await call(method, tokens[role]);
        const allowed = ROLES.indexOf(role) >= ROLES.indexOf(METHOD_ACCESS[method].role);
        matrix.push(`${method} ${role} ${allowed ? 'allowed' : 'denied'}`);
        if (allowed) expect(status, `${method} as ${role}: ${JSON.stringify(body)}`).not.toBe(403);
        else {
          expect(status, `${method} as ${role}`).toBe(403);
          expect(body.error).toMatchObject({ code: 'forbidden' });
          expect(body.error!.message).toContain(`needs the ${METHOD_ACCESS[method].role} role`);
        }
      }
    }
    // The route table itself, as the docs state it.
    expect(matrix.filter((m) => m.endsWith('denied')).length).toBeGreaterThan(30);
    expect(METHOD_ACCESS['dlq.list'].role).toBe('viewer');
    expect(METHOD_ACCESS['dlq.replay'].role).toBe('operator');
    expect(METHOD_ACCESS['flows.goLive'].role).toBe('editor');
    expect(METHOD_ACCESS['secrets.set'].role).toBe('admin');
  });

  it('a wrong or removed token is refused; the printed local token is the admin', async () => {
    expect((await call('status.get', 'sct_not-a-real-token-at-all')).status).toBe(401);
    const temp = runtime.store.users.add('leaver', 'operator', Date.now());
    expect((await call('status.get', temp)).status).toBe(200);
    runtime.store.users.remove('leaver');
    expect((await call('status.get', temp)).status).toBe(401);
    expect((await call('audit.list', server.token)).status).toBe(200);
  });

  it('writes every mutating call to the audit log: who, what, the override reason, the outcome, and no value', async () => {
    await call('secrets.set', tokens.admin, { name: 'crm/password', value: 'hunter2-do-not-log' });
    await call('dlq.replay', tokens.operator, { ids: [7, 8] });
    await call('flows.goLive', tokens.editor, { flowId: 'nope', override: { reason: 'billing team asked for it today' } });
    await call('dlq.list', tokens.viewer, {});
    await call('secrets.set', tokens.viewer, { name: 'x', value: 'y' }); // refused: not a call that ran
    const { body } = await call('audit.list', tokens.admin, { limit: 10 });
    const entries = (body as unknown as { entries: { who: string; role: string; method: string; target: Record<string, unknown>; reason: string | null; ok: boolean }[] }).entries;
    // Newest first; the matrix test before this one made its own entries further down.
    expect(entries.slice(0, 3).map((e) => `${e.who}:${e.method}:${e.ok}`)).toEqual(['editor person:flows.goLive:false', 'operator person:dlq.replay:true', 'admin person:secrets.set:true']);
    expect(entries[0]).toMatchObject({ target: { flowId: 'nope' }, reason: 'billing team asked for it today' });
    expect(entries[1]!.target).toEqual({ ids: [7, 8] });
    expect(entries[2]!.target).toEqual({ name: 'crm/password', value: '(not recorded)' });
    const dbFile = fs.readFileSync(path.join(dir, 'ws', 'workspace.db')).toString('latin1') + fs.readFileSync(path.join(dir, 'ws', 'workspace.db-wal')).toString('latin1');
    expect(dbFile).not.toContain('hunter2-do-not-log');
    for (const role of ROLES) expect(dbFile, 'only a hash of a token is stored').not.toContain(tokens[role]);
  });
});

describe.skipIf(!hasOpenssl())('serve over TLS', () => {
  it('answers HTTPS with the given certificate and refuses TLS older than 1.2', async () => {
    const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem')], { stdio: 'ignore' });
      const cert = fs.readFileSync(path.join(certDir, 'cert.pem'), 'utf8');
      const tlsServer = await startHttpServer({ handlers: runtime.api, tls: { cert, key: fs.readFileSync(path.join(certDir, 'key.pem'), 'utf8') } });
      try {
        expect(tlsServer.url.startsWith('https://127.0.0.1:')).toBe(true);
        const get = (maxVersion?: 'TLSv1.1') =>
          new Promise<number>((resolve, reject) => {
            const req = httpsRequest({ host: '127.0.0.1', port: tlsServer.port, path: '/api/call/status.get', method: 'POST', ca: cert, headers: { authorization: `Bearer ${tlsServer.token}` }, ...(maxVersion ? { maxVersion, minVersion: 'TLSv1' as const } : {}) }, (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            });
            req.on('error', reject);
            req.end('{}');
          });
        expect(await get()).toBe(200);
        await expect(get('TLSv1.1')).rejects.toThrow();
      } finally {
        await tlsServer.close();
      }
    } finally {
      fs.rmSync(certDir, { recursive: true, force: true });
    }
  });
});

