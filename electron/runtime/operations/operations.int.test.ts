import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import { DEMO_FLOW_ID, DEMO_SYNC_ID } from '../demo/demo-flow.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { MemorySecretStore } from '../secrets/memory-store.js';

/**
 * Preview, what-if on history, preflight/go-live, discard with undo and edit-and-replay against the
 * real runtime on the demo's real SQLite systems (simulator off, so every change is the test's).
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-ops-'));
let runtime: Runtime;
let crm: Database.Database;
let billing: Database.Database;

/** Every table of a database, rows included: equal snapshots mean nothing was written. */
function snapshot(db: Database.Database): string {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
}
const storeCounts = () => runtime.store.db.prepare('SELECT (SELECT COUNT(*) FROM inbox) AS inbox, (SELECT COUNT(*) FROM dlq) AS dlq, (SELECT COUNT(*) FROM links) AS links, (SELECT COUNT(*) FROM shadows) AS shadows').get();

async function until(what: string, f: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting: ${what}`);
}

beforeAll(async () => {
  runtime = await openRuntime({ workspaceDir: dir, demo: { simulate: false }, resume: false, secrets: new MemorySecretStore() });
  crm = new Database(path.join(dir, 'data', 'crm.db'));
  billing = new Database(path.join(dir, 'data', 'billing.db'));
  crm.pragma('busy_timeout = 5000');
  billing.pragma('busy_timeout = 5000');
});

afterAll(async () => {
  crm?.close();
  billing?.close();
  await runtime?.close({ drainMs: 0 });
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('operations on the demo workspace', () => {
  it('previews a field diff from real reads and writes nothing anywhere', async () => {
    crm.prepare("UPDATE contacts SET first_name = 'Previewed' WHERE id = 1").run();
    const before = { crm: snapshot(crm), billing: snapshot(billing), store: storeCounts() };
    const result = await runtime.api['preview.run']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, limit: 50 });
    expect(result.wrote).toBe(0);
    const row = result.rows.find((r) => r.sourceKey === '1');
    expect(row).toMatchObject({ action: 'update', changes: expect.arrayContaining([expect.objectContaining({ field: 'given_name', to: 'Previewed' })]) });
    await runtime.api['preflight.run']({ flowId: DEMO_FLOW_ID });
    expect({ crm: snapshot(crm), billing: snapshot(billing), store: storeCounts() }).toEqual(before);
  });

  it('compares one record across the edge: what a sync would still change each way, writing nothing', async () => {
    // Still stopped: the CRM's "Previewed" first name from the test above has not reached Billing.
    const before = { crm: snapshot(crm), billing: snapshot(billing), store: storeCounts() };
    const c = await runtime.api['records.compare']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, side: 'a', key: '1' });
    expect(c.fields).toMatchObject({ first_name: 'Previewed' });
    const toBilling = c.directions.find((d) => d.direction === 'a-to-b')!.row!;
    expect(toBilling.action).toBe('update');
    expect(toBilling.changes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'given_name', to: 'Previewed' })]));
    expect(c.directions.map((d) => d.direction)).toEqual(['a-to-b', 'b-to-a']);
    // A record that is gone says so.
    expect((await runtime.api['records.compare']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, side: 'a', key: '999999' })).fields).toBeNull();
    expect({ crm: snapshot(crm), billing: snapshot(billing), store: storeCounts() }).toEqual(before);
  });

  it('passes preflight on the demo, refuses to go live on a failing check without a reason, and keeps the override reason', async () => {
    const ok = await runtime.api['preflight.run']({ flowId: DEMO_FLOW_ID });
    expect(ok.edges[0]!.checks.filter((c) => !c.ok)).toEqual([]);
    expect(ok.ok).toBe(true);

    // Two Billing customers with one email: the match key is no longer unique.
    billing.prepare("INSERT INTO customers (id, contact_email, given_name, family_name) VALUES (99001, 'dup@example.com', 'A', 'B'), (99002, 'DUP@example.com', 'C', 'D')").run();
    const failing = await runtime.api['preflight.run']({ flowId: DEMO_FLOW_ID });
    const check = failing.edges[0]!.checks.find((c) => c.id === 'match-keys')!;
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('dup@example.com') });
    // The preview, Billing → CRM, lists them as Invalid duplicates: preflight says so too, never ready.
    const preview = await runtime.api['preview.run']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, limit: 1000, direction: 'b-to-a' });
    expect(preview.rows.filter((r) => r.sourceKey === '99001' || r.sourceKey === '99002').map((r) => r.action)).toEqual(['invalid', 'invalid']);
    expect(failing.edges[0]!.checks.find((c) => c.id === 'preview-clean')).toMatchObject({ ok: false, detail: expect.stringContaining('as Invalid') });
    await expect(runtime.api['flows.goLive']({ flowId: DEMO_FLOW_ID })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('Match keys are unique') });
    expect((await runtime.api['status.get']({ flowId: DEMO_FLOW_ID }))[0]!.running).toBe(false);

    const live = await runtime.api['flows.goLive']({ flowId: DEMO_FLOW_ID, override: { reason: 'the duplicates are test rows, merged tomorrow' } });
    expect(live.status.running).toBe(true);
    expect(live.record).toMatchObject({ override: true, reason: 'the duplicates are test rows, merged tomorrow', failed: expect.arrayContaining([expect.stringContaining('Match keys'), expect.stringContaining('Sample records sync without being refused')]) });
    expect((await runtime.api['flows.goLiveLog']({ flowId: DEMO_FLOW_ID }))[0]).toEqual(live.record);
    expect((await runtime.api['preflight.run']({ flowId: DEMO_FLOW_ID })).lastGoLive).toEqual(live.record);
    billing.prepare('DELETE FROM customers WHERE id IN (99001, 99002)').run();
  });

  it('shows what a candidate mapping would have done with the last applied events, writing nothing', async () => {
    crm.prepare("UPDATE contacts SET last_name = 'Historic' WHERE id IN (2, 3)").run();
    await until('the edits reach Billing', () => (billing.prepare("SELECT COUNT(*) AS n FROM customers WHERE family_name = 'Historic'").get() as { n: number }).n === 2);
    const flow = (await runtime.api['flows.get']({ flowId: DEMO_FLOW_ID })).flow;
    const candidate: FlowDocument = structuredClone(flow);
    candidate.syncs[0]!.fields.find((f) => f.a === 'last_name')!.toB = [{ type: 'uppercase' }];
    const before = { billing: snapshot(billing), store: storeCounts() };
    const whatIf = await runtime.api['preview.history']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, flow: candidate, limit: 50 });
    expect(whatIf.events).toBeGreaterThanOrEqual(2);
    const changed = whatIf.rows.filter((r) => r.direction === 'a-to-b' && r.changes.some((c) => c.field === 'family_name' && c.to === 'HISTORIC'));
    expect(changed.length).toBeGreaterThanOrEqual(2);
    expect(changed[0]).toMatchObject({ action: 'update', changes: expect.arrayContaining([{ field: 'family_name', from: 'Historic', to: 'HISTORIC' }]) });
    // The stored mapping would do nothing more with those events: they are applied.
    const same = await runtime.api['preview.history']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, limit: 50 });
    expect(same.rows.filter((r) => r.changes.some((c) => c.field === 'family_name' && String(c.to).toUpperCase() === 'HISTORIC'))).toEqual([]);
    expect(same.rows.filter((r) => r.eventId === changed[0]!.eventId)).toMatchObject([{ action: 'no-op' }]);
    expect({ billing: snapshot(billing), store: storeCounts() }).toEqual(before);
    await expect(runtime.api['preview.history']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, flow: { ...candidate, id: 'other' }, limit: 5 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('discards with an undo window, and edits and replays an entry into the target', async () => {
    billing.exec(`CREATE TRIGGER upper_family BEFORE UPDATE OF family_name ON customers WHEN NEW.family_name <> upper(NEW.family_name)
                  BEGIN SELECT RAISE(ABORT, 'family_name must be upper case'); END`);
    crm.prepare("UPDATE contacts SET last_name = 'Rejected' WHERE id = 4").run();
    await until('the rejected change lands in the DLQ', async () => (await runtime.api['dlq.list']({ filter: { flowId: DEMO_FLOW_ID, errorClass: 'validation' }, limit: 10, offset: 0 })).total === 1);
    const [entry] = (await runtime.api['dlq.list']({ filter: { flowId: DEMO_FLOW_ID }, limit: 10, offset: 0 })).entries;
    expect(entry!.message).toContain('upper case');

    expect(await runtime.api['dlq.discard']({ ids: [entry!.id] })).toEqual({ discarded: 1 });
    expect((await runtime.api['dlq.list']({ filter: {}, limit: 10, offset: 0 })).total).toBe(0);
    expect(await runtime.api['dlq.undoDiscard']({ ids: [entry!.id, 123456] })).toEqual({ restored: 1, expired: [123456] });
    expect(await runtime.api['dlq.get']({ id: entry!.id })).toEqual(entry);

    expect(await runtime.api['dlq.editReplay']({ id: entry!.id, fields: { last_name: 'FIXED' } })).toEqual({ replayed: 1 });
    const key = (runtime.store.links.other(DEMO_FLOW_ID, DEMO_SYNC_ID, 'a', '4'))!;
    await until('the edited change reaches Billing', () => (billing.prepare('SELECT family_name FROM customers WHERE id = ?').get(key) as { family_name: string }).family_name === 'FIXED');
    expect((await runtime.api['dlq.list']({ filter: {}, limit: 10, offset: 0 })).total).toBe(0);
    await expect(runtime.api['dlq.editReplay']({ id: entry!.id, fields: {} })).rejects.toMatchObject({ code: 'not_found' });
    billing.exec('DROP TRIGGER upper_family');
  });

  it('never drops a conflict on replay: it waits for a chosen value', async () => {
    const event = { eventId: 'c1', system: 'demo-crm', entity: 'contacts', key: '7', op: 'upsert' as const, fields: { plan: 'Pro' }, sourceTime: 1, captureTime: 1, origin: 'user' };
    const id = runtime.store.dlq.add({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, direction: 'a-to-b', event, sourceSystem: 'demo-crm', targetSystem: 'demo-billing', errorClass: 'conflict', message: 'both changed', response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: null });
    expect(await runtime.api['dlq.replay']({ filter: { flowId: DEMO_FLOW_ID } })).toEqual({ replayed: 0 });
    expect(await runtime.api['dlq.replay']({ ids: [id] })).toEqual({ replayed: 0 });
    expect(runtime.store.dlq.get(id)).not.toBeNull();
    await runtime.api['dlq.discard']({ ids: [id] });
  });

  it('keeps alert thresholds per edge', async () => {
    await runtime.api['alerts.set']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, thresholds: { lagP99Ms: 2000, dlqDepth: 10 } });
    expect(await runtime.api['alerts.get']({ flowId: DEMO_FLOW_ID })).toEqual({ [DEMO_SYNC_ID]: { lagP99Ms: 2000, dlqDepth: 10 } });
    await expect(runtime.api['alerts.set']({ flowId: DEMO_FLOW_ID, syncId: 'nope', thresholds: {} })).rejects.toMatchObject({ code: 'not_found' });
    await runtime.api['alerts.set']({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, thresholds: {} });
    expect(await runtime.api['alerts.get']({ flowId: DEMO_FLOW_ID })).toEqual({});
  });
});
