import Database from 'better-sqlite3';
import fc from 'fast-check';
import fs from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../../shared/flow/schema.js';
import { openRuntime, type Runtime } from '../../runtime.js';
import { MemorySecretStore } from '../../secrets/memory-store.js';
import { isTimestamped, signPayload, type SignatureScheme } from './signature.js';
import { until } from '../../test-support/synccanvas-process.js';

/**
 * Every signature scheme through the real runtime into a real SQLite target, with a restart in
 * the middle: bad, stale, tampered, replayed (byte for byte, and after the restart), re-keyed,
 * wrongly typed, oversized and cut-off deliveries. The target must hold exactly the valid first
 * deliveries, and each attack must get its documented status.
 */
const SECRET = 'fuzz-secret-☃';
const SCHEMES: { name: string; scheme: SignatureScheme; deliveryHeader?: string }[] = [
  { name: 'stripe', scheme: { scheme: 'stripe', header: 'Stripe-Signature' } },
  { name: 't_v1', scheme: { scheme: 't-v1', header: 'X-Acme-Signature' } },
  { name: 'github', scheme: { scheme: 'github', header: 'X-Hub-Signature-256' }, deliveryHeader: 'X-GitHub-Delivery' },
  { name: 'shopify', scheme: { scheme: 'shopify', header: 'X-Shopify-Hmac-Sha256' }, deliveryHeader: 'X-Shopify-Webhook-Id' },
  { name: 'slack', scheme: { scheme: 'slack', signatureHeader: 'X-Slack-Signature', timestampHeader: 'X-Slack-Request-Timestamp' } },
  { name: 'body_hmac', scheme: { scheme: 'body-hmac', header: 'X-Body-Sig', prefix: 'sha256=', encoding: 'base64' }, deliveryHeader: 'X-Delivery' },
  {
    name: 'hmac',
    scheme: { scheme: 'hmac', signatureHeader: 'X-Sig', timestampHeader: 'X-Ts', prefix: 'sha256=', encoding: 'hex', separator: '.', timestampFormat: 'unix' },
    deliveryHeader: 'X-Delivery',
  },
];
const FIRST = 6;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-wh-schemes-'));
const targetPath = path.join(dir, 'target.db');
const secrets = new MemorySecretStore({ 'wh-secret': SECRET });
let runtime: Runtime;
let target: Database.Database;
const ports: number[] = [];

interface Sent {
  body: string;
  headers: Record<string, string>;
}
/** The first deliveries per scheme, exactly as sent: the attacker's material. */
const first = new Map<string, Sent[]>();
const expected = new Map<string, { ext_id: string; email: string }[]>();
let fresh = 0;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const envelope = (id: string, key: string, email: string) => JSON.stringify({ id, entity: 'contacts', op: 'upsert', record: { id: key, email } });

function signed(s: (typeof SCHEMES)[number], body: string, deliveryId: string, nowMs = Date.now(), secret = SECRET): Record<string, string> {
  return { 'content-type': 'application/json', ...(s.deliveryHeader ? { [s.deliveryHeader]: deliveryId } : {}), ...signPayload(s.scheme, secret, body, nowMs) };
}

async function send(i: number, body: string | Uint8Array, headers: Record<string, string | undefined>, chunked = false): Promise<{ status: number; json: Record<string, unknown> }> {
  const payload = Buffer.from(body);
  const res = await request(`http://127.0.0.1:${ports[i]}/wh`, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string>,
    body: chunked ? Readable.from([payload]) : payload,
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as Record<string, unknown> };
}

/** Headers and half the declared body, then the socket is destroyed. */
async function cutOff(i: number, body: string, headers: Record<string, string>): Promise<void> {
  const sock = connect(ports[i]!, '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  const head = [`POST /wh HTTP/1.1`, `Host: 127.0.0.1`, `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  sock.write(`${head}\r\n\r\n${body.slice(0, Math.floor(body.length / 2))}`);
  await new Promise((r) => setTimeout(r, 5));
  sock.destroy();
}

const rows = (name: string) => target.prepare(`SELECT ext_id, email FROM contacts_${name} ORDER BY ext_id`).all();

async function listening(): Promise<void> {
  for (const port of ports) {
    for (let n = 0; ; n++) {
      const ok = await request(`http://127.0.0.1:${port}/wh`, { method: 'GET' }).then(
        async (r) => (await r.body.text(), r.statusCode === 405),
        () => false,
      );
      if (ok) break;
      if (n > 200) throw new Error(`no receiver on ${port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

async function applied(): Promise<void> {
  await until('the first deliveries in the target', () => SCHEMES.every((s) => JSON.stringify(rows(s.name)) === JSON.stringify(expected.get(s.name)))).catch(async (e: unknown) => {
    const [status] = await runtime.api['status.get']({ flowId: 'hooks' });
    throw new Error(`${(e as Error).message}: ${JSON.stringify(SCHEMES.map((s) => rows(s.name)))} ${JSON.stringify(status)}`);
  });
}

type Attack = { kind: string; scheme: number; pick: number; variant: number; size: number; bytes: Uint8Array; junk: string };

/** Send one attack; returns what was answered and what the documentation says must be answered. */
async function attack(a: Attack): Promise<{ got: number | string; want: number | string }> {
  const s = SCHEMES[a.scheme]!;
  const i = a.scheme;
  const timed = isTimestamped(s.scheme);
  const sent = first.get(s.name)![a.pick % FIRST]!;
  const id = `${s.name}-x-${++fresh}`;
  const freshBody = envelope(id, `${s.name}-bad-${fresh}`, 'HACKED@x.test');
  const deliveryOf = (h: Record<string, string>) => (s.deliveryHeader ? h[s.deliveryHeader]! : (JSON.parse(sent.body) as { id: string }).id);
  switch (a.kind) {
    case 'exact-replay':
      return { got: (await send(i, sent.body, sent.headers)).status, want: 409 };
    case 'resigned-retry': {
      const r = await send(i, sent.body, signed(s, sent.body, deliveryOf(sent.headers), Date.now() + 1000 + a.variant * 500));
      // Only the holder of the secret can re-sign with a later time: a timestamped scheme acknowledges it (nothing stored again).
      return timed ? { got: `${r.status}:${String(r.json.duplicate)}`, want: '200:true' } : { got: r.status, want: 409 };
    }
    case 'reused-id': {
      const parsed = JSON.parse(sent.body) as { record: { email: string } };
      parsed.record.email = 'HACKED@x.test';
      const body = JSON.stringify(parsed);
      return { got: (await send(i, body, signed(s, body, deliveryOf(sent.headers)))).status, want: 409 };
    }
    case 'same-body-new-id': {
      if (!s.deliveryHeader) return { got: (await send(i, sent.body, sent.headers)).status, want: 409 };
      const r = await send(i, sent.body, { ...sent.headers, [s.deliveryHeader]: id });
      return { got: `${r.status}:${String(r.json.error)}`, want: '409:duplicate-body' };
    }
    case 'wrong-secret':
      return { got: (await send(i, freshBody, signed(s, freshBody, id, Date.now(), 'not-the-secret'))).status, want: 401 };
    case 'stale': {
      // A body-only signature has no time (an old one is as good as new), so it is tampered with instead.
      if (!timed) return { got: (await send(i, `${freshBody} `, signed(s, freshBody, id))).status, want: 401 };
      const r = await send(i, freshBody, signed(s, freshBody, id, Date.now() - (a.variant % 2 ? 1 : -1) * 3_600_000));
      return { got: `${r.status}:${String(r.json.error)}`, want: '401:stale' };
    }
    case 'tampered': {
      const h = signed(s, freshBody, id);
      return { got: (await send(i, freshBody.replace('HACKED', 'hacked'), h)).status, want: 401 };
    }
    case 'wrong-type': {
      const type = [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'text/json'][a.variant % 5];
      const r = await send(i, type === undefined ? new TextEncoder().encode(freshBody) : freshBody, { ...signed(s, freshBody, id), 'content-type': type });
      return { got: `${r.status}:${String(r.json.error)}`, want: '415:unsupported-type' };
    }
    case 'huge': {
      const body = envelope(id, `${s.name}-big`, 'x'.repeat(a.size));
      return { got: (await send(i, body, signed(s, body, id), a.variant % 2 === 0)).status, want: 413 };
    }
    case 'cut-off':
      await cutOff(i, freshBody, signed(s, freshBody, id));
      return { got: 'cut', want: 'cut' };
    default: {
      const r = await send(i, a.bytes, { 'content-type': 'application/json', [s.deliveryHeader ?? 'X-Noise']: id, ...signPayload(s.scheme, SECRET, 'other'), 'x-junk': a.junk });
      return { got: r.status >= 400 && r.status < 500 ? '4xx' : r.status, want: '4xx' };
    }
  }
}

const attacks = fc.record({
  kind: fc.constantFrom('exact-replay', 'resigned-retry', 'reused-id', 'same-body-new-id', 'wrong-secret', 'stale', 'tampered', 'wrong-type', 'huge', 'cut-off', 'garbage'),
  scheme: fc.integer({ min: 0, max: SCHEMES.length - 1 }),
  pick: fc.nat(),
  variant: fc.nat({ max: 9 }),
  size: fc.integer({ min: 4200, max: 20_000 }),
  bytes: fc.uint8Array({ maxLength: 600 }),
  junk: fc.string({ maxLength: 40 }).map((x) => x.replace(/[^\x20-\x7e]/g, '')),
});

async function runAttacks(seed: number, numRuns: number): Promise<void> {
  const wrong: unknown[] = [];
  await fc.assert(
    fc.asyncProperty(attacks, async (a) => {
      const r = await attack(a);
      if (r.got !== r.want) wrong.push({ kind: a.kind, scheme: SCHEMES[a.scheme]!.name, ...r });
      return true;
    }),
    { numRuns, seed },
  );
  expect(wrong).toEqual([]);
}

beforeAll(async () => {
  target = new Database(targetPath);
  target.pragma('journal_mode = WAL');
  for (const s of SCHEMES) target.exec(`CREATE TABLE contacts_${s.name} (id INTEGER PRIMARY KEY, ext_id TEXT NOT NULL UNIQUE, email TEXT NOT NULL)`);
  for (const _ of SCHEMES) ports.push(await freePort());
  const flow = {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'hooks',
    name: 'Every webhook scheme',
    systems: [
      ...SCHEMES.map((s, i) => ({
        id: `wh-${s.name}`,
        name: `Webhook ${s.name}`,
        kind: 'webhook',
        secretRefs: { signingSecret: 'wh-secret' },
        config: {
          port: ports[i],
          path: '/wh',
          maxBodyBytes: 4096,
          signature: s.scheme,
          deliveryId: s.deliveryHeader ? { header: s.deliveryHeader } : { path: 'id' },
          entities: [{ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string', required: true }, { name: 'email', type: 'string', required: true }] }],
        },
      })),
      { id: 'dst', name: 'Target', kind: 'sqlite', config: { path: targetPath, pollIntervalMs: 50 } },
    ],
    syncs: SCHEMES.map((s) => ({
      id: `to-${s.name}`,
      a: { system: `wh-${s.name}`, entity: 'contacts' },
      b: { system: 'dst', entity: `contacts_${s.name}` },
      direction: 'a-to-b',
      matchKey: { a: 'id', b: 'ext_id', normalize: 'exact' },
      fields: [
        { a: 'id', b: 'ext_id', owner: 'a' },
        { a: 'email', b: 'email', owner: 'a' },
      ],
    })),
  };
  runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), secrets, resume: true });
  const saved = await runtime.api['flows.save']({ flow });
  expect(saved.ok).toBe(true);
  await runtime.api['flows.start']({ flowId: 'hooks' });
  await listening();
});

afterAll(async () => {
  await runtime?.close({ drainMs: 0 });
  target?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('every webhook signature scheme through the runtime into SQLite', () => {
  it('stores exactly the valid first deliveries, refusing every attack with its documented status, before and after a restart', async () => {
    for (const [i, s] of SCHEMES.entries()) {
      const sent: Sent[] = [];
      for (let n = 0; n < FIRST; n++) {
        // Awkward but valid values: quotes, non-ASCII, a delivery id with punctuation.
        const body = envelope(`${s.name}-ok-${n}`, `${s.name}-k${n}`, `${n}.ü"q@${s.name}.test`);
        const headers = signed(s, body, `${s.name}:dlv/${n}`);
        const r = await send(i, body, headers);
        expect({ scheme: s.name, n, status: r.status }).toEqual({ scheme: s.name, n, status: 200 });
        sent.push({ body, headers });
      }
      first.set(s.name, sent);
      expected.set(
        s.name,
        Array.from({ length: FIRST }, (_, n) => ({ ext_id: `${s.name}-k${n}`, email: `${n}.ü"q@${s.name}.test` })).sort((x, y) => (x.ext_id < y.ext_id ? -1 : 1)),
      );
    }
    await runAttacks(20261207, 250);
    await applied();

    // Restart the runtime: the in-memory view is gone, the store remembers.
    await runtime.close({ drainMs: 2000 });
    runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), secrets, resume: true });
    await listening();
    for (const [i, s] of SCHEMES.entries()) {
      for (const sent of first.get(s.name)!) {
        const r = await send(i, sent.body, sent.headers);
        expect({ scheme: s.name, status: r.status, error: r.json.error }).toEqual({ scheme: s.name, status: 409, error: 'replay' });
      }
    }
    await runAttacks(20261208, 250);

    // Still receiving: one new valid delivery per scheme lands.
    for (const [i, s] of SCHEMES.entries()) {
      const body = envelope(`${s.name}-after`, `${s.name}-zafter`, `after@${s.name}.test`);
      expect((await send(i, body, signed(s, body, `${s.name}:after`))).status).toBe(200);
      expected.get(s.name)!.push({ ext_id: `${s.name}-zafter`, email: `after@${s.name}.test` });
    }
    await applied();
    // Nothing else arrives later, and nothing went to the DLQ.
    await new Promise((r) => setTimeout(r, 300));
    for (const s of SCHEMES) expect(rows(s.name)).toEqual(expected.get(s.name));
    const [status] = await runtime.api['status.get']({ flowId: 'hooks' });
    expect(status!.syncs.flatMap((x) => x.directions.map((d) => d.dlqDepth ?? 0)).reduce((p, q) => p + q, 0)).toBe(0);
  }, 120_000);
});
