import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../shared/events.js';
import { FlowDocumentSchema, FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { forgetRecord } from './forget.js';
import { Store } from './store.js';

/** A chain: crm ↔ billing (sync ab) and billing ↔ support (sync bc); the person is crm/1 = billing/b1 = support/s1. */
const flow = FlowDocumentSchema.parse({
  schemaVersion: FLOW_SCHEMA_VERSION,
  id: 'f',
  name: 'chain',
  systems: ['crm', 'billing', 'support'].map((id) => ({ id, name: id, kind: 'sqlite', config: { path: `${id}.db` } })),
  syncs: [
    { id: 'ab', a: { system: 'crm', entity: 'contacts' }, b: { system: 'billing', entity: 'customers' }, direction: 'both', matchKey: { a: 'email', b: 'email' }, fields: [{ a: 'email', b: 'email', owner: 'a' }] },
    { id: 'bc', a: { system: 'billing', entity: 'customers' }, b: { system: 'support', entity: 'users' }, direction: 'both', matchKey: { a: 'email', b: 'email' }, fields: [{ a: 'email', b: 'email', owner: 'a' }] },
  ],
});

let dir: string;
let store: Store;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-forget-'));
  store = Store.open(path.join(dir, 'workspace.db'));
  store.cipher.setKey(randomBytes(32));
  store.flows.save(flow, 1);
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ev = (system: string, key: string, email: string): ChangeEvent => ({ eventId: `${system}-${key}-${Math.random()}`, system, entity: 'x', key, op: 'upsert', fields: { email }, sourceTime: 1, captureTime: 1, origin: 'user' });
const dlq = (e: ChangeEvent, syncId: string) =>
  store.dlq.add({ flowId: 'f', syncId, direction: 'a-to-b', event: e, sourceSystem: e.system, targetSystem: 'other', errorClass: 'permanent', message: `refused ${String(e.fields.email)}`, response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: e.fields });

function seed(person: { crm: string; billing: string; support: string }, email: string): void {
  store.links.link('f', 'ab', person.crm, person.billing, 1);
  store.links.link('f', 'bc', person.billing, person.support, 1);
  for (const [system, key] of Object.entries(person)) {
    store.shadows.put('f', system, 'x', key, { fields: { email: { v: email, t: 1, by: 'self' } } });
    store.tombstones.put('f', system, 'x', key, { deletedAt: 1, expiresAt: Date.now() + 60_000, bySync: false });
  }
  store.inbox.add('f', ev('support', person.support, email), { syncId: 'bc', direction: 'b-to-a', notBefore: 0 });
  store.history.record('f', 'ab', 'a-to-b', [ev('crm', person.crm, email)], Date.now());
  dlq(ev('billing', person.billing, email), 'bc');
  store.dlqDiscards.discard([dlq(ev('crm', person.crm, email), 'ab')], Date.now());
}

describe('forget', () => {
  it('erases the person in every system the links lead to, and nobody else', () => {
    seed({ crm: '1', billing: 'b1', support: 'ann-support-key-7f3' }, 'ann@x');
    seed({ crm: '2', billing: 'b2', support: 's2' }, 'bob@x');
    const report = forgetRecord(store, 'support', 'ann-support-key-7f3');
    expect(report.records).toEqual(expect.arrayContaining([{ system: 'support', key: 'ann-support-key-7f3' }, { system: 'billing', key: 'b1' }, { system: 'crm', key: '1' }]));
    expect(report.records).toHaveLength(3);
    expect(report.rows).toMatchObject({ inbox: 1, dlq: 1, dlq_discarded: 1, shadows: 3, links: 2, edge_history: 1, tombstones: 3 });

    store.shadows.cache.clear();
    store.links.cache.clear();
    const left = JSON.stringify([
      store.dlq.select({}),
      store.history.list('f', 'ab', 100),
      store.inbox.ready('f', Number.MAX_SAFE_INTEGER, 100),
      ['crm/1', 'billing/b1', 'support/ann-support-key-7f3', 'crm/2', 'billing/b2', 'support/s2'].map((r) => store.shadows.get('f', r.split('/')[0]!, 'x', r.split('/')[1]!)),
      store.db.prepare('SELECT * FROM links').all(),
    ]);
    expect(left).not.toContain('ann@x');
    expect(left.match(/bob@x/g)?.length).toBeGreaterThanOrEqual(6);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM links').get()).toEqual({ n: 2 });
    // No trace in the files either (keys are stored in clear: free pages and the WAL are wiped).
    for (const f of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, f)).includes('ann-support-key-7f3'), f).toBe(false);
  });
});
