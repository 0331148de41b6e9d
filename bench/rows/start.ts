import Database from 'better-sqlite3';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import { startHttpServer } from '../../electron/runtime/api/http-server.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import { Store } from '../../electron/runtime/store/store.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * Fast start (issue: "within 1 s of start, receivers listen and applying resumes, even with 100k
 * pending inbox entries"): a SQLite → SQLite flow is restarted on a workspace whose inbox holds a
 * backlog. Measured from opening the workspace: the flow started, its webhook receiver accepting
 * connections, the first change applied at the target, and the slowest answer of the local HTTP API while the backlog drains (a stand-in for any
 * socket: webhook receivers share the event loop).
 */
export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const n = opts.quick ? 20_000 : 100_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-start-'));
  const hookPort = await freePort();
  const secrets = () => new MemorySecretStore({ 'shop/signing': 'bench-signing-secret-0123456789' });
  try {
    for (const f of ['crm.db', 'billing.db']) {
      const db = new Database(path.join(dir, f));
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, name TEXT); CREATE TABLE orders (id TEXT PRIMARY KEY, email TEXT)');
      db.close();
    }
    const flow = {
      schemaVersion: FLOW_SCHEMA_VERSION,
      id: 'start',
      name: 'Fast start',
      systems: [
        { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(dir, 'crm.db') } },
        { id: 'billing', name: 'Billing', kind: 'sqlite', config: { path: path.join(dir, 'billing.db') } },
        {
          id: 'shop',
          name: 'Shop webhooks',
          kind: 'webhook',
          config: { port: hookPort, path: '/hooks', entities: [{ name: 'orders', primaryKey: 'id', fields: [{ name: 'id', type: 'string', required: true }, { name: 'email', type: 'string' }] }] },
          secretRefs: { signingSecret: 'shop/signing' },
        },
      ],
      syncs: [
        {
          id: 'people',
          a: { system: 'crm', entity: 'people' },
          b: { system: 'billing', entity: 'people' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'exact' },
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'name', b: 'name', owner: 'a' },
          ],
        },
        {
          id: 'orders',
          a: { system: 'shop', entity: 'orders' },
          b: { system: 'billing', entity: 'orders' },
          direction: 'a-to-b',
          matchKey: { a: 'id', b: 'id', normalize: 'exact' },
          fields: [{ a: 'email', b: 'email', owner: 'a' }],
        },
      ],
    };
    const ws = path.join(dir, 'ws');
    const first = await openRuntime({ workspaceDir: ws, resume: false, secrets: secrets() });
    const saved = await first.api['flows.save']({ flow });
    if (!saved.ok) throw new Error('bench flow is invalid');
    await first.close({ drainMs: 0 });
    const store = Store.open(path.join(ws, 'workspace.db'));
    const now = Date.now();
    store.transaction(() => {
      for (let i = 0; i < n; i++) {
        store.inbox.add('start', { eventId: `crm:${i}`, system: 'crm', entity: 'people', key: String(i), op: 'upsert', fields: { id: i, email: `p${i}@example.com`, name: `Person ${i}` }, sourceTime: now, captureTime: now, origin: 'user' }, { syncId: 'people', direction: 'a-to-b', notBefore: 0 });
      }
    });
    store.close();

    const t0 = performance.now();
    const runtime = await openRuntime({ workspaceDir: ws, resume: false, secrets: secrets() });
    const server = await startHttpServer({ handlers: runtime.api, host: '127.0.0.1', port: 0 });
    let listening = NaN;
    const receiver = (async () => {
      while (!(await accepts(hookPort))) await new Promise((r) => setImmediate(r));
      listening = performance.now() - t0;
    })();
    await runtime.api['flows.start']({ flowId: 'start' });
    const started = performance.now() - t0;
    await receiver;
    const target = new Database(path.join(dir, 'billing.db'), { readonly: true });
    const count = target.prepare('SELECT count(*) FROM people').pluck();
    let firstApplied = NaN;
    let slowestAnswer = 0;
    const ask = () =>
      new Promise<number>((resolve, reject) => {
        const t = performance.now();
        http.get(`http://127.0.0.1:${server.port}/api/health`, (res) => {
          res.resume();
          res.on('end', () => resolve(performance.now() - t));
        }).on('error', reject);
      });
    for (;;) {
      const c = count.get() as number;
      if (c > 0 && Number.isNaN(firstApplied)) firstApplied = performance.now() - t0;
      if (c >= n) break;
      slowestAnswer = Math.max(slowestAnswer, await ask());
    }
    const drained = performance.now() - t0;
    target.close();
    await server.close();
    await runtime.close({ drainMs: 0 });
    const note = `${n.toLocaleString('en-US')} pending inbox rows; drained in ${(drained / 1000).toFixed(1)} s`;
    return [
      { name: 'start: flow started (backlog pending)', value: started, unit: 'ms', note },
      { name: 'start: webhook receiver listening', value: listening, unit: 'ms', note: 'goal ≤ 1,000 ms' },
      { name: 'start: first change applied', value: firstApplied, unit: 'ms', note: 'goal ≤ 1,000 ms' },
      { name: 'start: slowest API answer while draining', value: slowestAnswer, unit: 'ms', note: 'sockets are served between batches' },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on the port now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
