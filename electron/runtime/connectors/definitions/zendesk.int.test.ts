import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector } from '../types.js';
import { ConnectionOptionsSchema } from '../rest/definition-connector.js';
import { captureRecorder } from './contract-servers/capture-recorder.js';
import { startZendeskLike, type ZendeskLike } from './contract-servers/zendesk-like.js';
import { definitionConnector, shippedDefinitions } from './vendor-connectors.js';

const EMAIL = 'agent@acme.io';
const API_TOKEN = 'zd-token';
const WHSEC = 'zd-signing';
let zd: ZendeskLike;
let connector: Connector;

beforeEach(async () => {
  zd = await startZendeskLike(EMAIL, API_TOKEN);
  for (let i = 1; i <= 3; i++) {
    zd.clock.tick(1000);
    zd.put(i, { subject: `Printer ${i}`, status: 'open', requester_id: 100 + i });
  }
  connector = definitionConnector(shippedDefinitions.zendesk).create({
    config: ConnectionOptionsSchema.parse({ baseUrl: zd.url, vars: { subdomain: 'acme', email: EMAIL }, poll: { mode: 'interval', everyMs: 100 }, webhook: { enabled: true, port: 0 } }),
    secrets: { apiToken: API_TOKEN, signingSecret: WHSEC },
    flowId: 'f1',
    systemId: 'desk',
    dataDir: '/nonexistent',
  });
});
afterEach(async () => {
  await connector.close();
  await zd.close();
});

describe('Zendesk-like tickets (contract server)', () => {
  it('follows the incremental cursor export, keeps two edits in the same second apart, and sees deleted tickets', async () => {
    const rec = captureRecorder(['tickets']);
    const handle = await connector.startCapture(rec.ctx);
    try {
      await rec.waitFor(() => rec.changes().length >= 3);
      // First page by start_time, next pages by cursor alone (the server refuses both together).
      const exports = zd.requests.filter((r) => r.path.includes('incremental'));
      expect(exports[0]!.query.get('start_time')).toBe('0');
      expect(exports[1]!.query.get('cursor')).toBeTruthy();
      expect(exports[1]!.query.has('start_time')).toBe(false);
      expect(rec.changes()[0]).toMatchObject({ key: '1', fields: { id: 1, subject: 'Printer 1' } });

      zd.clock.tick(1000);
      zd.put(2, { status: 'pending' });
      await rec.waitFor(() => rec.changes().length >= 4);
      zd.put(2, { status: 'solved' }); // same second: same updated_at, different content
      await rec.waitFor(() => rec.changes().length >= 5);
      zd.serverErrors(2, 503);
      zd.clock.tick(1000);
      zd.put(3, { status: 'deleted' });
      await rec.waitFor(() => rec.changes().some((c) => c.op === 'delete'));
      await new Promise((r) => setTimeout(r, 250));
      const tail = rec.changes().slice(3).map((c) => [c.op, c.key, c.fields.status]);
      expect(tail).toEqual([
        ['upsert', '2', 'pending'],
        ['upsert', '2', 'solved'],
        ['delete', '3', 'deleted'],
      ]);
      const later = zd.requests.filter((r) => r.path.includes('incremental') && r.query.has('start_time')).at(-1)!;
      // Re-reads from the cursor minus the overlap window, in Unix seconds.
      expect(Number(later.query.get('start_time'))).toBe(Math.floor((Date.parse(zd.tickets.get(3)!.updated_at) - 60_000) / 1000));
    } finally {
      await handle.stop();
    }
  });

  it('receives Zendesk-signed webhooks (base64 HMAC over ISO timestamp + body, invocation id header)', async () => {
    const rec = captureRecorder(['tickets']);
    const handle = await connector.startCapture(rec.ctx);
    try {
      const url = await rec.waitFor(() => rec.webhookUrl());
      expect(await zd.sendEvent(url, WHSEC, 'zen:event-type:ticket.status_changed', { id: 2, status: 'hold', subject: 'Printer 2' }, 'inv-1')).toBe(200);
      expect(await zd.sendEvent(url, WHSEC, 'zen:event-type:ticket.status_changed', { id: 2, status: 'hold' }, 'inv-1')).toBe(409);
      expect(await zd.sendEvent(url, 'wrong', 'zen:event-type:ticket.status_changed', { id: 2 }, 'inv-2')).toBe(401);
      expect(await zd.sendEvent(url, WHSEC, 'zen:event-type:ticket.status_changed', { id: 'two' }, 'inv-3')).toBe(422);
      const hooks = rec.changes().filter((c) => c.eventId.startsWith('desk:wh:'));
      expect(hooks.map((c) => [c.eventId, c.key, c.fields.status])).toEqual([['desk:wh:inv-1', '2', 'hold']]);
    } finally {
      await handle.stop();
    }
  });

  it('writes tickets wrapped in "ticket", reads the key at ticket.id, and returns 422 details as a validation error', async () => {
    const [created] = await connector.write('tickets', [{ kind: 'upsert', key: null, fields: { subject: 'New', status: 'new' }, idempotencyKey: 'i1', sourceTime: 1 }], 'synccanvas:f1');
    expect(created).toEqual({ ok: true, key: '4', created: true, version: Date.parse(zd.tickets.get(4)!.updated_at) });
    expect(JSON.parse(zd.requests.at(-1)!.body)).toEqual({ ticket: { subject: 'New', status: 'new' } });
    const [updated] = await connector.write('tickets', [{ kind: 'upsert', key: '1', fields: { id: 1, status: 'solved' }, idempotencyKey: 'i2', sourceTime: 1 }], 'o');
    expect(updated).toMatchObject({ ok: true, key: '1' });
    expect(zd.requests.at(-1)!.method).toBe('PUT');
    expect(zd.tickets.get(1)!.status).toBe('solved');
    const [bad] = await connector.write('tickets', [{ kind: 'upsert', key: '1', fields: { status: 'archived' }, idempotencyKey: 'i3', sourceTime: 1 }], 'o');
    expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation' } });
    expect((bad as { error: { response: string } }).error.response).toContain('Status: archived is not valid');
    const [del] = await connector.write('tickets', [{ kind: 'delete', key: '2', mode: 'hard', idempotencyKey: 'i4', sourceTime: 1 }], 'o');
    expect(del).toEqual({ ok: true, key: '2' });
    expect((await connector.readByKeys('tickets', ['1', '2'])).map((r) => r.key)).toEqual(['1']);
    expect((await connector.findByField('tickets', 'subject', ['Printer 3'], 'exact')).map((r) => r.key)).toEqual(['3']);
  });
});
