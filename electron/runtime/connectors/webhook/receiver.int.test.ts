import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { CapturedBatch } from '../types.js';
import { EntitySpecSchema } from '../definitions/format.js';
import { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from './receiver.js';
import { signPayload, type SignatureScheme } from './signature.js';

const SECRET = 'whsec_test';
const HMAC: SignatureScheme = { scheme: 'hmac', signatureHeader: 'X-Sig', timestampHeader: 'X-Ts', prefix: 'sha256=', encoding: 'hex', separator: '.', timestampFormat: 'unix' };
const contacts = EntitySpecSchema.parse({
  name: 'contacts',
  primaryKey: 'id',
  cursorField: 'updatedAt',
  fields: [
    { name: 'id', type: 'string', required: true },
    { name: 'email', type: 'string', required: true },
    { name: 'age', type: 'integer' },
    { name: 'updatedAt', type: 'datetime' },
  ],
});

let receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

async function start(sink: (b: CapturedBatch) => Promise<void>, extra: Partial<WebhookReceiverOptions> = {}) {
  const r = await startWebhookReceiver({
    host: '127.0.0.1',
    port: 0,
    path: '/hooks',
    maxBodyBytes: 4096,
    toleranceMs: 300_000,
    signature: HMAC,
    secret: SECRET,
    deliveryId: { header: 'X-Delivery', path: 'id' },
    routes: [{ entityPath: 'entity', opPath: 'op', recordPath: 'record', timeFormat: 'auto' }],
    entities: [contacts],
    eventIdPrefix: 'crm:wh:',
    sink,
    ...extra,
  });
  receivers.push(r);
  return r;
}

function recordingSink(delayMs = 0) {
  const batches: CapturedBatch[] = [];
  const committed = new Set<string>();
  return {
    batches,
    committed,
    sink: async (b: CapturedBatch) => {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      batches.push(b);
      for (const c of b.changes) committed.add(c.eventId);
    },
  };
}

function envelope(id: string, record: Record<string, unknown>, op = 'upsert') {
  return JSON.stringify({ id, entity: 'contacts', op, record });
}

async function post(url: string, body: string, headers: Record<string, string> = {}, scheme: SignatureScheme | null = HMAC, nowMs = Date.now()) {
  const sig = scheme ? signPayload(scheme, SECRET, body, nowMs) : {};
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...sig, ...headers } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('webhook receiver', () => {
  it('commits a signed event, then answers 2xx with an eventId fixed by the delivery id', async () => {
    const s = recordingSink();
    const r = await start(s.sink);
    const res = await post(r.url, envelope('d-1', { id: 'c1', email: 'a@x.io', updatedAt: '2026-01-02T03:04:05.000Z' }));
    expect(res.status).toBe(200);
    expect(res.json.eventId).toBe('crm:wh:d-1');
    expect(s.batches).toHaveLength(1);
    const change = s.batches[0]!.changes[0]!;
    expect(change).toMatchObject({ entity: 'contacts', key: 'c1', op: 'upsert', origin: 'user', version: Date.parse('2026-01-02T03:04:05.000Z') });
    expect(change.sourceTime).toBe(change.version);
    expect(s.batches[0]!.checkpoint).toBeNull();
  });

  it('accepts the Stripe-style t=…,v1=… header', async () => {
    const s = recordingSink();
    const r = await start(s.sink, { signature: { scheme: 'stripe', header: 'Stripe-Signature' } });
    const res = await post(r.url, envelope('d-s', { id: 'c1', email: 'a@x.io' }), {}, { scheme: 'stripe', header: 'Stripe-Signature' });
    expect(res.status).toBe(200);
    expect(s.committed.has('crm:wh:d-s')).toBe(true);
  });

  it('rejects bad signature, stale timestamp, replay, oversized and malformed bodies with a 4xx and stores nothing from them', async () => {
    const s = recordingSink();
    const r = await start(s.sink);
    const ok = envelope('d-ok', { id: 'c1', email: 'a@x.io' });
    const sentAt = Date.now();
    expect((await post(r.url, ok, {}, HMAC, sentAt)).status).toBe(200);
    const callsBefore = s.batches.length;

    const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
      ['unsigned', post(r.url, envelope('d-2', { id: 'c2', email: 'b@x.io' }), {}, null), 401, 'unsigned'],
      ['wrong secret', post(r.url, envelope('d-3', { id: 'c3', email: 'c@x.io' }), { 'X-Sig': 'sha256=' + 'ab'.repeat(32), 'X-Ts': String(Math.floor(Date.now() / 1000)) }, null), 401, 'bad-signature'],
      ['stale', post(r.url, envelope('d-4', { id: 'c4', email: 'd@x.io' }), {}, HMAC, Date.now() - 3_600_000), 401, 'stale'],
      ['future', post(r.url, envelope('d-4b', { id: 'c4', email: 'd@x.io' }), {}, HMAC, Date.now() + 3_600_000), 401, 'stale'],
      ['replayed delivery', post(r.url, ok, {}, HMAC, sentAt), 409, 'replay'],
      ['delivery id reused for another body', post(r.url, envelope('d-ok', { id: 'c1', email: 'changed@x.io' })), 409, 'replay'],
      ['text body', post(r.url, envelope('d-11', { id: 'c11', email: 'f@x.io' }), { 'content-type': 'text/plain;charset=UTF-8' }), 415, 'unsupported-type'],
      ['form body', post(r.url, 'id=d-12&entity=contacts', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported-type'],
      ['JSON in latin1', post(r.url, envelope('d-13', { id: 'c13', email: 'g@x.io' }), { 'content-type': 'application/json; charset=iso-8859-1' }), 415, 'unsupported-type'],
      ['oversized', post(r.url, envelope('d-5', { id: 'c5', email: 'x'.repeat(5000) })), 413, 'too-large'],
      ['malformed JSON', post(r.url, '{"id":"d-6",'), 400, 'bad-json'],
      ['no delivery id', post(r.url, JSON.stringify({ entity: 'contacts', op: 'upsert', record: { id: 'c7', email: 'e@x.io' } })), 400, 'no-delivery-id'],
      ['schema: wrong type', post(r.url, envelope('d-8', { id: 'c8', email: 42 })), 422, 'invalid'],
      ['schema: missing required', post(r.url, envelope('d-9', { id: 'c9' })), 422, 'invalid'],
      ['unknown entity', post(r.url, JSON.stringify({ id: 'd-10', entity: 'orders', op: 'upsert', record: { id: '1' } })), 422, 'invalid'],
    ];
    for (const [name, p, status, error] of cases) {
      const res = await p;
      expect({ name, status: res.status, error: res.json.error }).toEqual({ name, status, error });
      expect(typeof res.json.message).toBe('string');
    }
    const signedOversized = await fetch(r.url, { method: 'GET' });
    expect(signedOversized.status).toBe(405);
    // No Content-Type at all (a Uint8Array body makes fetch send none).
    const untyped = envelope('d-14', { id: 'c14', email: 'h@x.io' });
    const bare = await fetch(r.url, { method: 'POST', body: new TextEncoder().encode(untyped), headers: signPayload(HMAC, SECRET, untyped) });
    expect(bare.status).toBe(415);
    expect(((await bare.json()) as { message: string }).message).toMatch(/Content-Type header is missing; send the body as JSON with Content-Type: application\/json/);
    expect(s.batches.length).toBe(callsBefore);
  });

  it('accepts +json content types; refuses a signed body resent under a new delivery id; acknowledges a re-signed retry without storing it again', async () => {
    const s = recordingSink();
    const r = await start(s.sink);
    const body = envelope('b-1', { id: 'c1', email: 'a@x.io' });
    const t0 = Date.now();
    const first = await post(r.url, body, { 'X-Delivery': 'hdr-1', 'content-type': 'application/vnd.acme.event+json; charset=utf-8' }, HMAC, t0);
    expect(first).toMatchObject({ status: 200, json: { eventId: 'crm:wh:hdr-1' } });
    // The same signed bytes under another delivery id: the content hash catches it.
    const again = await post(r.url, body, { 'X-Delivery': 'hdr-2' }, HMAC, t0);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: 'duplicate-body' });
    expect(again.json.message).toMatch(/already received as delivery hdr-1/);
    // The sender's retry after a lost 2xx: same id and body, signed later. 200, nothing stored again.
    const retry = await post(r.url, body, { 'X-Delivery': 'hdr-1' }, HMAC, t0 + 2000);
    expect(retry).toMatchObject({ status: 200, json: { ok: true, duplicate: true, eventId: 'crm:wh:hdr-1' } });
    // The captured original request, unchanged: a replay.
    expect((await post(r.url, body, { 'X-Delivery': 'hdr-1' }, HMAC, t0)).status).toBe(409);
    expect(s.batches.flatMap((b) => b.changes.map((c) => c.eventId))).toEqual(['crm:wh:hdr-1']);
    expect(r.stats).toMatchObject({ accepted: 1, duplicate: 1, 'duplicate-body': 1, replay: 1 });
  });

  it('answers every one of many concurrent requests only after a shared commit', async () => {
    const s = recordingSink(5);
    const r = await start(s.sink);
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const res = await post(r.url, envelope(`g-${i}`, { id: `c${i}`, email: `${i}@x.io` }));
        // The change must already be committed when its 2xx arrives.
        return { status: res.status, committed: s.committed.has(`crm:wh:g-${i}`) };
      }),
    );
    expect(results.every((x) => x.status === 200 && x.committed)).toBe(true);
    expect(s.committed.size).toBe(60);
    expect(s.batches.length).toBeLessThan(30);
    expect(Math.max(...s.batches.map((b) => b.changes.length))).toBeGreaterThan(1);
  });

  it('commits a lone request without waiting for company (one request, one commit)', async () => {
    const s = recordingSink();
    const r = await start(s.sink);
    for (let i = 0; i < 5; i++) expect((await post(r.url, envelope(`solo-${i}`, { id: 'c1', email: 'a@x.io' }))).status).toBe(200);
    expect(s.batches.map((b) => b.changes.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('answers 503 when the commit fails and takes the sender retry of the same delivery', async () => {
    let fail = true;
    const s = recordingSink();
    const r = await start(async (b) => {
      if (fail) throw new Error('disk full');
      await s.sink(b);
    });
    const body = envelope('d-retry', { id: 'c1', email: 'a@x.io' });
    const first = await post(r.url, body);
    expect(first.status).toBe(503);
    fail = false;
    const second = await post(r.url, body);
    expect(second.status).toBe(200);
    expect([...s.committed]).toEqual(['crm:wh:d-retry']);
  });

  it('answers 503 with Retry-After while the inbox is over its bound, stores nothing, and takes the same delivery once there is room', async () => {
    const s = recordingSink();
    let full = true;
    const r = await start(s.sink, { inboxFull: () => full });
    const body = envelope('evt-full', { id: 'c1', email: 'a@x.io' });
    const res = await fetch(r.url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-delivery': 'evt-full', ...signPayload(HMAC, SECRET, body, Date.now()) } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toMatchObject({ ok: false, error: 'inbox-full' });
    expect(s.batches).toHaveLength(0);
    expect(r.stats['inbox-full']).toBe(1);
    full = false;
    // The sender's retry of the same delivery is taken: the refusal did not mark it as seen.
    expect((await post(r.url, body, { 'X-Delivery': 'evt-full' })).status).toBe(200);
    expect([...s.committed]).toEqual(['crm:wh:evt-full']);
  });

  it('puts the record version on each change so out-of-order deliveries resolve per key', async () => {
    const s = recordingSink();
    const r = await start(s.sink);
    await post(r.url, envelope('v-2', { id: 'c1', email: 'new@x.io', updatedAt: '2026-03-01T00:00:02Z' }));
    await post(r.url, envelope('v-1', { id: 'c1', email: 'old@x.io', updatedAt: '2026-03-01T00:00:01Z' }));
    const changes = s.batches.flatMap((b) => b.changes);
    expect(changes.map((c) => [c.fields.email, c.version])).toEqual([
      ['new@x.io', Date.parse('2026-03-01T00:00:02Z')],
      ['old@x.io', Date.parse('2026-03-01T00:00:01Z')],
    ]);
    // A delete carries only its key; its fields are not validated.
    expect((await post(r.url, envelope('del-1', { id: 'c1' }, 'delete'))).status).toBe(200);
    expect(s.batches.at(-1)!.changes[0]).toMatchObject({ op: 'delete', key: 'c1' });
  });
});

describe('webhook receiver crash safety', () => {
  const fixture = fileURLToPath(new URL('./fixtures/inbox-receiver.ts', import.meta.url));
  let child: ChildProcess | null = null;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    child = null;
  });

  function run(dbPath: string, crash: boolean, script = fixture): Promise<{ proc: ChildProcess; port: number }> {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, dbPath], {
      env: { ...process.env, CRASH_AFTER_COMMIT: crash ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = proc;
    return new Promise((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /port=(\d+)/.exec(out);
        if (m) resolve({ proc, port: Number(m[1]) });
      });
      proc.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
  }

  it('a crash after the inbox commit but before the 2xx: the sender retry carries the same eventId and is stored once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-crash-'));
    const dbPath = join(dir, 'inbox.db');
    try {
      const scheme: SignatureScheme = { scheme: 'stripe', header: 'Stripe-Signature' };
      const body = JSON.stringify({ id: 'evt_crash_1', entity: 'contacts', op: 'upsert', record: { id: 'c1' } });
      const a = await run(dbPath, true);
      const exited = new Promise((r) => a.proc.once('exit', r));
      const first = await fetch(`http://127.0.0.1:${a.port}/webhooks`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signPayload(scheme, SECRET, body) } }).then(
        (r) => r.status,
        () => 'no response',
      );
      expect(first).toBe('no response');
      await exited;

      const b = await run(dbPath, false);
      // The sender re-signs its retry with a fresh timestamp but keeps the delivery id.
      const retry = await fetch(`http://127.0.0.1:${b.port}/webhooks`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signPayload(scheme, SECRET, body, Date.now() + 1000) } });
      expect(retry.status).toBe(200);
      expect(((await retry.json()) as { eventId: string }).eventId).toBe('crm:wh:evt_crash_1');
      b.proc.kill('SIGTERM');
      await new Promise((r) => b.proc.once('exit', r));

      const db = new Database(dbPath, { readonly: true });
      const calls = db.prepare('SELECT event_id FROM sink_calls ORDER BY n').pluck().all();
      const inbox = db.prepare('SELECT event_id FROM inbox').pluck().all();
      db.close();
      expect(calls).toEqual(['crm:wh:evt_crash_1', 'crm:wh:evt_crash_1']);
      expect(inbox).toEqual(['crm:wh:evt_crash_1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with the store as delivery ledger: the delivery is recorded in the commit that stores its event, so after a crash the re-signed retry is acknowledged without a second write and a replay gets 409', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wh-crash-store-'));
    const dbPath = join(dir, 'workspace.db');
    const storeFixture = fileURLToPath(new URL('./fixtures/store-receiver.ts', import.meta.url));
    try {
      const scheme: SignatureScheme = { scheme: 'stripe', header: 'Stripe-Signature' };
      const body = JSON.stringify({ id: 'evt_crash_2', entity: 'contacts', op: 'upsert', record: { id: 'c1' } });
      const original = { 'content-type': 'application/json', ...signPayload(scheme, SECRET, body) };
      const a = await run(dbPath, true, storeFixture);
      const exited = new Promise((r) => a.proc.once('exit', r));
      const first = await fetch(`http://127.0.0.1:${a.port}/webhooks`, { method: 'POST', body, headers: original }).then(
        (r) => r.status,
        () => 'no response',
      );
      expect(first).toBe('no response');
      await exited;

      const b = await run(dbPath, false, storeFixture);
      const url = `http://127.0.0.1:${b.port}/webhooks`;
      const replay = await fetch(url, { method: 'POST', body, headers: original });
      expect(replay.status).toBe(409);
      const retry = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signPayload(scheme, SECRET, body, Date.now() + 1000) } });
      expect(retry.status).toBe(200);
      expect(await retry.json()).toEqual({ ok: true, duplicate: true, eventId: 'crm:wh:evt_crash_2' });
      b.proc.kill('SIGTERM');
      await new Promise((r) => b.proc.once('exit', r));

      const db = new Database(dbPath, { readonly: true });
      const calls = db.prepare('SELECT event_ids, deliveries FROM sink_calls ORDER BY n').all();
      const seen = db.prepare('SELECT event_id FROM dedupe_keys').pluck().all();
      const deliveries = db.prepare('SELECT delivery_id, signed_at IS NOT NULL AS timed FROM webhook_deliveries').all();
      db.close();
      expect(calls).toEqual([{ event_ids: '["crm:wh:evt_crash_2"]', deliveries: '["evt_crash_2"]' }]);
      expect(seen).toEqual(['crm:wh:evt_crash_2']);
      expect(deliveries).toEqual([{ delivery_id: 'evt_crash_2', timed: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
