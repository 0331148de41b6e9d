import { Readable } from 'node:stream';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapturedBatch } from '../types.js';
import { EntitySpecSchema } from '../definitions/format.js';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.js';
import { signPayload, type SignatureScheme } from './signature.js';

const SECRET = 'fuzz-secret';
const scheme: SignatureScheme = { scheme: 'stripe', header: 'Stripe-Signature' };
const printable = fc.string({ maxLength: 120 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));

describe('webhook receiver under fuzzed input', () => {
  let receiver: WebhookReceiver;
  let pool: Pool;
  const stored: string[] = [];
  const accepted: string[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver({
      host: '127.0.0.1',
      port: 0,
      path: '/wh',
      maxBodyBytes: 2048,
      toleranceMs: 300_000,
      signature: scheme,
      secret: SECRET,
      deliveryId: { path: 'id' },
      routes: [{ entityPath: 'entity', opPath: 'op', recordPath: 'record', timeFormat: 'auto' }],
      entities: [EntitySpecSchema.parse({ name: 'contacts', primaryKey: 'id', fields: [{ name: 'id', type: 'string', required: true }] })],
      eventIdPrefix: 'fz:',
      sink: async (b: CapturedBatch) => {
        for (const c of b.changes) stored.push(c.eventId);
      },
    });
    pool = new Pool(new URL(receiver.url).origin, { connections: 4 });
  });
  afterAll(async () => {
    await pool.close();
    await receiver.close();
  });

  async function send(body: Uint8Array | string, headers: Record<string, string>, chunked = false) {
    const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    const res = await pool.request({
      method: 'POST',
      path: '/wh',
      headers: { 'content-type': 'application/json', ...headers },
      // An async iterable body goes out chunked, without Content-Length, to exercise the streaming size limit.
      body: chunked ? Readable.from([payload]) : payload,
    });
    await res.body.text();
    return res.statusCode;
  }

  const valid = (id: string) => JSON.stringify({ id, entity: 'contacts', op: 'upsert', record: { id: `k-${id}` } });

  it('rejects every malformed, unsigned, mis-signed, replayed and oversized request, stays up and stores nothing from them', async () => {
    const firstHeaders: Record<string, string>[] = [];
    for (let i = 0; i < 20; i++) {
      const body = valid(`ok-${i}`);
      firstHeaders.push(signPayload(scheme, SECRET, body));
      expect(await send(body, firstHeaders[i]!)).toBe(200);
      accepted.push(`fz:ok-${i}`);
    }
    expect(stored).toEqual(accepted);

    const attack = fc.oneof(
      // Random bytes, no signature.
      fc.record({ kind: fc.constant('unsigned'), body: fc.uint8Array({ maxLength: 3000 }), header: fc.constant(null as string | null) }),
      // Random bytes with a random signature header.
      fc.record({ kind: fc.constant('garbage-sig'), body: fc.uint8Array({ maxLength: 3000 }), header: printable as fc.Arbitrary<string | null> }),
      // A valid event signed with the wrong secret.
      fc.record({ kind: fc.constant('wrong-secret'), body: fc.uuid().map(valid), header: fc.constant(null as string | null) }),
      // Correctly signed, but not JSON / not an event / invalid record.
      fc.record({
        kind: fc.constant('signed-malformed'),
        body: fc.oneof(
          fc.string({ maxLength: 500 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)).filter((s) => !s.includes('"entity"')),
          fc.uuid().map((id) => JSON.stringify({ id, entity: 'contacts', op: 'upsert', record: { id: 42.5 } })),
        ),
        header: fc.constant(null as string | null),
      }),
      // A replay of an accepted delivery: the very request that was sent.
      fc.record({ kind: fc.constant('replay'), body: fc.integer({ min: 0, max: 19 }).map((i) => valid(`ok-${i}`)), header: fc.constant(null as string | null) }),
      // An accepted delivery id reused for another body, signed.
      fc.record({ kind: fc.constant('reused-id'), body: fc.integer({ min: 0, max: 19 }).map((i) => valid(`ok-${i}`).replace('"k-', '"other-')), header: fc.constant(null as string | null) }),
      // Signed but over the size limit, sent chunked.
      fc.record({ kind: fc.constant('oversized'), body: fc.integer({ min: 2049, max: 20_000 }).map((n) => 'x'.repeat(n)), header: fc.constant(null as string | null) }),
    );

    let runs = 0;
    await fc.assert(
      fc.asyncProperty(attack, async (a) => {
        runs++;
        const body = typeof a.body === 'string' ? a.body : Buffer.from(a.body);
        let headers: Record<string, string> = {};
        if (a.kind === 'garbage-sig') headers = { 'Stripe-Signature': a.header ?? '' };
        else if (a.kind === 'wrong-secret') headers = signPayload(scheme, 'not-the-secret', body);
        else if (a.kind === 'replay') headers = firstHeaders[Number(/ok-(\d+)/.exec(body as string)![1])]!;
        else if (a.kind !== 'unsigned') headers = signPayload(scheme, SECRET, body);
        const status = await send(body, headers, a.kind === 'oversized');
        return status >= 400 && status < 500;
      }),
      { numRuns: 3000, seed: 20261127 },
    );
    expect(runs).toBe(3000);
    expect(stored).toEqual(accepted);
    const after = valid('after-fuzz');
    expect(await send(after, signPayload(scheme, SECRET, after))).toBe(200);
    expect(stored.at(-1)).toBe('fz:after-fuzz');
  }, 30_000);
});
