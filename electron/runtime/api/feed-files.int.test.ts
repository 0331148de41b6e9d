import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { MemorySecretStore } from '../secrets/memory-store.js';
import { startHttpServer, type RunningHttpServer } from './http-server.js';

/**
 * An AI feed served to an AI tool from outside (docs/ai-feeds.md#serving-a-feed): a token made for one
 * feed lists and reads that feed's published files and nothing else — not another feed, not a part
 * still being written, not a file outside the folder, not one API method; an API user's token does
 * not read feeds.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-feed-serve-'));
let runtime: Runtime;
let server: RunningHttpServer;
let feedToken: string;
let viewerToken: string;

const sync = (id: string, entity: string) => ({
  id,
  a: { system: 'crm', entity: 'contacts' },
  b: { system: 'ai', entity },
  direction: 'a-to-b',
  matchKey: { a: 'email', b: 'email' },
  aiFeed: {},
  fields: [{ a: 'email', b: 'email', owner: 'a', class: 'email', toB: [{ type: 'token', keyRef: 'k', keyId: 'k1' }] }],
  enabled: id === 'one',
});

beforeAll(async () => {
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
  const flow = {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'f',
    name: 'Feeds',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: 'crm.db' } },
      { id: 'ai', name: 'AI', kind: 'jsonl-folder', config: { folder: 'feed', entities: ['one', 'two'] } },
    ],
    syncs: [sync('one', 'one'), sync('two', 'two')],
  };
  const saved = await runtime.api['flows.save']({ flow });
  expect(saved.ok).toBe(true);
  const folder = path.join(dir, 'ws', 'data', 'feed');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'one.00000001.jsonl'), '{"id":"e1","key":"tok_k1_a"}\n');
  fs.writeFileSync(path.join(folder, 'one.00000002.jsonl.part'), '{"id":"e2"');
  fs.writeFileSync(path.join(folder, 'two.00000001.jsonl'), '{"id":"x"}\n');
  feedToken = runtime.store.feedTokens.add('index reader', 'f', 'one', Date.now());
  viewerToken = runtime.store.users.add('viewer person', 'viewer', Date.now());
  server = await startHttpServer({ handlers: runtime.api, users: runtime.store.users, feeds: { authenticate: (t) => runtime.store.feedTokens.authenticate(t), flow: (id) => runtime.store.flows.get(id)?.flow ?? null, dataDir: path.join(dir, 'ws', 'data') } });
});

afterAll(async () => {
  await server?.close();
  await runtime?.close({ drainMs: 0 });
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (p: string, token?: string) => {
  const res = await fetch(`http://127.0.0.1:${server.port}${p}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

describe('serving an AI feed with its own token scope', () => {
  it('the feed token lists and reads its own published files', async () => {
    const list = await get('/feeds/f/one/', feedToken);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.text)).toEqual({ files: [{ name: 'one.00000001.jsonl', bytes: 29 }] });
    const file = await get('/feeds/f/one/one.00000001.jsonl', feedToken);
    expect(file).toEqual({ status: 200, type: 'application/x-ndjson; charset=utf-8', text: '{"id":"e1","key":"tok_k1_a"}\n' });
  });

  it('and nothing else: another feed, a part, a path outside, the API', async () => {
    expect((await get('/feeds/f/two/', feedToken)).status).toBe(403);
    expect(JSON.parse((await get('/feeds/f/two/two.00000001.jsonl', feedToken)).text).error.message).toBe('This token reads the feed f/one only.');
    expect((await get('/feeds/f/one/one.00000002.jsonl.part', feedToken)).status).toBe(404);
    expect((await get('/feeds/f/one/..%2F..%2Fworkspace.db', feedToken)).status).toBe(404);
    const api = await fetch(`http://127.0.0.1:${server.port}/api/call/flows.list`, { method: 'POST', headers: { authorization: `Bearer ${feedToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(api.status).toBe(401);
  });

  it('an API user token, a missing or a revoked token read no feed', async () => {
    expect((await get('/feeds/f/one/', viewerToken)).status).toBe(401);
    expect((await get('/feeds/f/one/')).status).toBe(401);
    runtime.store.feedTokens.remove('index reader');
    expect((await get('/feeds/f/one/', feedToken)).status).toBe(401);
  });
});
