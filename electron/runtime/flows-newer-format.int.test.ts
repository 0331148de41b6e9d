import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { dispatchApiCall } from './api/dispatch.js';
import { EXIT, main } from './cli.js';
import { openRuntime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

/**
 * A workspace that a newer SyncCanvas also opened holds a flow in a format this build does not know.
 * This build lists it (it is not gone), says why it cannot open it, and never saves over it: saving
 * would drop whatever the newer format added.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-newer-flow-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a stored flow saved by a newer SyncCanvas', () => {
  it('is listed with why it cannot be opened, refused on open with what to do, and never saved over', async () => {
    const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
    try {
      const newer = { schemaVersion: FLOW_SCHEMA_VERSION + 1, id: 'feed', name: 'CRM to the assistant', systems: [], syncs: [], aFutureSetting: { keep: true } };
      const text = JSON.stringify(newer, null, 2);
      runtime.store.db.prepare('INSERT INTO flows (id, name, doc, updated_at) VALUES (?, ?, ?, ?)').run('feed', newer.name, text, 1234);
      const refusal = `this flow was saved by a newer SyncCanvas (format ${FLOW_SCHEMA_VERSION + 1}); this build reads formats up to ${FLOW_SCHEMA_VERSION}: update the app to open it`;

      expect(await runtime.api['flows.list']({})).toEqual([{ id: 'feed', name: 'CRM to the assistant', running: false, updatedAt: 1234, problem: `schemaVersion: ${refusal}` }]);
      expect(await dispatchApiCall(runtime.api, 'flows.get', { flowId: 'feed' }, { logError: () => undefined })).toEqual({
        ok: false,
        error: { code: 'conflict', message: `the stored flow "feed" cannot be opened by this build: schemaVersion: ${refusal}` },
      });

      const mine = { schemaVersion: FLOW_SCHEMA_VERSION, id: 'feed', name: 'Mine', systems: [], syncs: [] };
      const saved = await runtime.api['flows.save']({ flow: mine });
      expect(saved).toEqual({ ok: false, issues: [{ path: 'id', message: expect.stringContaining('the workspace holds a flow "feed" that this build cannot read') }] });
      expect(saved.ok === false && saved.issues[0]!.message).toContain('give this flow another id, or update the app');
      expect((runtime.store.db.prepare('SELECT doc FROM flows WHERE id = ?').get('feed') as { doc: string }).doc).toBe(text);
    } finally {
      await runtime.close({ drainMs: 0 });
    }
    const out: string[] = [];
    expect(await main(['status', '--workspace', path.join(dir, 'ws')], { out: (l) => out.push(l), err: () => undefined })).toBe(EXIT.ok);
    expect(out).toContain(`CRM to the assistant (feed): schemaVersion: this flow was saved by a newer SyncCanvas (format ${FLOW_SCHEMA_VERSION + 1}); this build reads formats up to ${FLOW_SCHEMA_VERSION}: update the app to open it`);
  });
});
