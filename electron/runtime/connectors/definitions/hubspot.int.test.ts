import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector, WriteOp } from '../types.js';
import { ConnectionOptionsSchema } from '../rest/definition-connector.js';
import { captureRecorder } from './contract-servers/capture-recorder.js';
import { startHubspotLike, type HubspotLike } from './contract-servers/hubspot-like.js';
import { definitionConnector, shippedDefinitions } from './vendor-connectors.js';

const TOKEN = 'pat-na1-test';
let hub: HubspotLike;
let connector: Connector;

function connect(token = TOKEN, poll = { mode: 'interval', everyMs: 100 }) {
  return definitionConnector(shippedDefinitions.hubspot).create({
    config: ConnectionOptionsSchema.parse({ baseUrl: hub.url, poll }),
    secrets: { token },
    flowId: 'f1',
    systemId: 'crm',
    dataDir: '/nonexistent',
  });
}

beforeEach(async () => {
  hub = await startHubspotLike(TOKEN);
  for (let i = 1; i <= 5; i++) hub.put(String(i), { email: `p${i}@acme.io`, firstname: `P${i}` });
  connector = connect();
});
afterEach(async () => {
  await connector.close();
  await hub.close();
});

const upsert = (fields: Record<string, unknown>, extra: Partial<Extract<WriteOp, { kind: 'upsert' }>> = {}): WriteOp => ({
  kind: 'upsert',
  key: null,
  fields,
  idempotencyKey: `idem-${Math.random()}`,
  sourceTime: Date.now(),
  ...extra,
});

describe('HubSpot-like contacts (contract server)', () => {
  it('polls every page, then only what changed, archived contacts as deletes, with the cursor in each batch', async () => {
    const rec = captureRecorder(['contacts']);
    const handle = await connector.startCapture(rec.ctx);
    try {
      await rec.waitFor(() => rec.changes().length >= 5);
      const first = rec.changes();
      expect(first.map((c) => c.key).sort()).toEqual(['1', '2', '3', '4', '5']);
      const c1 = first.find((c) => c.key === '1')!;
      expect(c1).toMatchObject({ entity: 'contacts', op: 'upsert', origin: 'user', fields: { id: '1', email: 'p1@acme.io', firstname: 'P1' } });
      expect(c1.version).toBe(Date.parse(hub.contacts.get('1')!.updatedAt));
      expect(c1.sourceTime).toBe(c1.version);
      // pageSize 2 → three pages, following paging.next.after
      expect(hub.requests.filter((r) => r.method === 'GET' && r.query.get('archived') !== 'true').slice(0, 3).map((r) => r.query.get('after'))).toEqual([null, '2', '4']);

      hub.put('2', { firstname: 'Changed' });
      await rec.waitFor(() => rec.changes().length >= 6);
      hub.archive('3');
      await rec.waitFor(() => rec.changes().some((c) => c.op === 'delete'));
      await new Promise((r) => setTimeout(r, 300)); // a few more polls: nothing repeats
      const all = rec.changes();
      expect(all.slice(5).map((c) => [c.op, c.key, c.fields.firstname])).toEqual([
        ['upsert', '2', 'Changed'],
        ['delete', '3', 'P3'],
      ]);
      expect(all.at(-1)!.version).toBe(Date.parse(hub.contacts.get('3')!.archivedAt!));
      expect(new Set(all.map((c) => c.eventId)).size).toBe(all.length);
      const cp = JSON.parse(rec.checkpoint()!) as { entities: { contacts: { cursor: number } } };
      expect(cp.entities.contacts.cursor).toBe(Math.max(...[...hub.contacts.values()].filter((c) => !c.archived).map((c) => Date.parse(c.updatedAt))));
    } finally {
      await handle.stop();
    }
  });

  it('rides out a 429 with Retry-After and a burst of 5xx while polling', async () => {
    hub.rateLimit(1, 1);
    const rec = captureRecorder(['contacts']);
    const t0 = Date.now();
    const handle = await connector.startCapture(rec.ctx);
    await rec.waitFor(() => rec.changes().length >= 5);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950); // waited as Retry-After asked
    hub.serverErrors(2, 502);
    hub.put('4', { firstname: 'After burst' });
    await rec.waitFor(() => rec.changes().some((c) => c.fields.firstname === 'After burst'));
    await handle.stop();
    expect(rec.changes().filter((c) => c.key === '4')).toHaveLength(2);
  });

  it('resumes from the committed checkpoint without re-emitting, and a failed commit does not move the cursor', async () => {
    const a = captureRecorder(['contacts']);
    let h = await connector.startCapture(a.ctx);
    await a.waitFor(() => a.changes().length >= 5);
    await h.stop();

    hub.put('1', { firstname: 'Again' });
    const b = captureRecorder(['contacts'], a.checkpoint());
    b.failCommits(1);
    h = await connector.startCapture(b.ctx);
    await b.waitFor(() => b.changes().length >= 1);
    await new Promise((r) => setTimeout(r, 250));
    await h.stop();
    expect(b.changes().map((c) => [c.key, c.fields.firstname])).toEqual([['1', 'Again']]);
    expect(b.statuses.some((s) => s.poll === 'failed')).toBe(true);
  });

  it('writes: create, match by email then update, delete; origin and idempotency headers on every write', async () => {
    // The engine matches (one search), then writes to the record it found by its key.
    const found = await connector.findByField('contacts', 'email', [' P2@ACME.io '], 'lowercase-trim');
    expect(found.map((r) => r.key)).toEqual(['2']);
    const results = await connector.write(
      'contacts',
      [upsert({ email: 'new@acme.io', firstname: 'New' }), upsert({ firstname: 'Matched' }, { key: found[0]!.key, ifMissing: 'skip' })],
      'synccanvas:f1',
    );
    expect(results[0]).toMatchObject({ ok: true, created: true });
    expect(results[1]).toEqual({ ok: true, key: '2', version: Date.parse(hub.contacts.get('2')!.updatedAt) });
    const created = hub.contacts.get((results[0] as { key: string }).key)!;
    expect(created.properties.email).toBe('new@acme.io');
    expect(hub.contacts.get('2')!.properties.firstname).toBe('Matched');
    const writes = hub.requests.filter((r) => r.method === 'PATCH' || (r.method === 'POST' && !r.path.endsWith('/search')));
    expect(writes).toHaveLength(2);
    for (const w of writes) {
      expect(w.headers['x-synccanvas-origin']).toBe('synccanvas:f1');
      expect(w.headers['idempotency-key']).toMatch(/^idem-/);
      expect(JSON.parse(w.body)).toHaveProperty('properties');
      expect(JSON.parse(w.body).properties).not.toHaveProperty('id');
    }
    const del = await connector.write('contacts', [
      { kind: 'delete', key: '5', mode: 'hard', idempotencyKey: 'd1', sourceTime: 1 },
      { kind: 'delete', key: '999', mode: 'hard', idempotencyKey: 'd2', sourceTime: 1 },
    ], 'synccanvas:f1');
    expect(del).toEqual([{ ok: true, key: '5' }, { ok: true, key: '999', note: 'not-found' }]);
    expect(hub.contacts.get('5')!.archived).toBe(true);
  });

  it('classifies write failures: 4xx validation with the response, 429 unavailable with Retry-After, 500 transient', async () => {
    const [bad] = await connector.write('contacts', [upsert({ email: 'not-an-email' })], 'synccanvas:f1');
    expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation' } });
    expect((bad as { error: { response: string } }).error.response).toContain('not a valid email');
    hub.rateLimit(1, 7);
    const [limited] = await connector.write('contacts', [upsert({ email: 'x@acme.io' }, { key: '1' })], 'o');
    expect(limited).toMatchObject({ ok: false, error: { errorClass: 'unavailable', retryAfterMs: 7000 } });
    hub.serverErrors(1, 500);
    const [failed] = await connector.write('contacts', [upsert({ email: 'x@acme.io' }, { key: '1' })], 'o');
    expect(failed).toMatchObject({ ok: false, error: { errorClass: 'transient' } });
    const [skipped] = await connector.write('contacts', [upsert({ email: 'x@acme.io' }, { key: '404404', ifMissing: 'skip' })], 'o');
    expect(skipped).toEqual({ ok: true, key: '404404', note: 'not-found' });
    const [recreated] = await connector.write('contacts', [upsert({ email: 'x@acme.io' }, { key: '404404' })], 'o');
    expect(recreated).toMatchObject({ ok: true, created: true });
    expect(hub.contacts.get((recreated as { key: string }).key)!.properties.email).toBe('x@acme.io');
  });

  it('reads samples, by key and by field; tests the connection and names a refused token', async () => {
    expect((await connector.discover())[0]).toMatchObject({ name: 'contacts', keyField: 'id' });
    expect((await connector.readSamples('contacts', 3)).map((r) => r.key)).toEqual(['1', '2', '3']);
    expect((await connector.readByKeys('contacts', ['4', 'nope'])).map((r) => r.fields.email)).toEqual(['p4@acme.io']);
    expect((await connector.findByField('contacts', 'email', ['P5@acme.io'], 'lowercase-trim')).map((r) => r.key)).toEqual(['5']);
    expect(await connector.testConnection()).toMatchObject({ ok: true });
    const wrong = connect('wrong');
    const t = await wrong.testConnection();
    await wrong.close();
    expect(t.ok).toBe(false);
    expect(t.message).toMatch(/credentials were refused \(401\)/);
  });
});
