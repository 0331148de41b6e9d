import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiMethod, ApiOutputs, ApiTransport } from '../../shared/api/contract.js';
import { dispatchApiCall } from '../../electron/runtime/api/dispatch.js';
import { openRuntime, type Runtime } from '../../electron/runtime/runtime.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import { ApiCallError, apiCallErrorFrom } from '../api/api-call-error.js';
import { createAppStore, type AppStore } from './app-store.js';
import { startAutosave } from './autosave.js';
import { isDirty } from './editor-actions.js';

// The editor against the real runtime (demo workspace, no simulator): build, save, reload.
describe('editor actions', () => {
  let dir: string;
  let runtime: Runtime;
  let api: ApiTransport;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-editor-'));
    runtime = await openRuntime({ workspaceDir: dir, demo: { simulate: false }, resume: false, secrets: new MemorySecretStore() });
    api = {
      async call<M extends ApiMethod>(method: M, input: unknown) {
        const result = await dispatchApiCall(runtime.api, method, input, { logError: () => undefined });
        if (result.ok) return result.value as ApiOutputs[M];
        throw apiCallErrorFrom(result.error, new ApiCallError('internal', 'unexpected'));
      },
    };
  });
  afterAll(async () => {
    await runtime?.close({ drainMs: 0 });
    await rm(dir, { recursive: true, force: true });
  });

  async function readyStore(): Promise<AppStore> {
    const store = createAppStore(api);
    await store.getState().init();
    await store.getState().loadConnectors();
    return store;
  }

  it('builds the demo flow from nothing, saves it and reads back the same document', async () => {
    const store = await readyStore();
    const s = () => store.getState();
    s().newFlow('CRM to Billing');
    const crm = s().addSystem('sqlite', { x: 0, y: 0 });
    const billing = s().addSystem('sqlite', { x: 500, y: 0 });
    s().updateSystem(crm, { name: 'CRM', config: { path: 'crm.db' } });
    s().updateSystem(billing, { name: 'Billing', config: { path: 'billing.db' } });
    await s().testSystem(crm);
    const test = s().tests[crm];
    expect(test?.state === 'done' && test.result.ok).toBe(true);
    await s().discover(billing);
    expect(s().entities[billing]).toMatchObject({ state: 'ok' });

    const syncId = s().connect(crm, billing)!;
    expect(s().connect(crm, crm)).toBeNull();
    expect(s().connectHint).toMatch(/two different systems/);
    // An unfinished sync (no entities, no fields) is not saved: the user is told to fix it.
    expect(await s().save()).toBe(false);
    expect(s().saveState).toMatchObject({ state: 'error' });

    s().updateSync(syncId, {
      a: { system: crm, entity: 'contacts' },
      b: { system: billing, entity: 'customers' },
      direction: 'both',
      matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
      fields: [{ a: 'email', b: 'contact_email', owner: 'a', toB: [], toA: [], required: false }],
      latency: { tier: 'near-real-time', windowMs: 2000 },
    });
    expect(isDirty(s())).toBe(true);
    expect(await s().save()).toBe(true);
    expect(isDirty(s())).toBe(false);
    const flowId = s().selectedFlowId!;
    const { flow } = await api.call('flows.get', { flowId });
    expect(flow).toEqual(s().flow);

    // Undo reverts the last edit, redo brings it back; the draft is dirty in between.
    s().undo();
    expect(s().flow!.syncs[0]!.fields).toEqual([]);
    expect(isDirty(s())).toBe(true);
    s().redo();
    expect(isDirty(s())).toBe(false);

    // Reopening the flow from the workspace gives the same document.
    const reopened = await readyStore();
    await reopened.getState().selectFlow(flowId);
    expect(reopened.getState().flow).toEqual(flow);
  });

  it('a drawn sync gets the only table of each side, and shows its problems once edited or saved by hand', async () => {
    const store = await readyStore();
    const s = () => store.getState();
    s().newFlow('Preselect');
    const crm = s().addSystem('sqlite', { x: 0, y: 0 });
    const billing = s().addSystem('sqlite', { x: 500, y: 0 });
    s().updateSystem(crm, { name: 'CRM', config: { path: 'crm.db' } });
    s().updateSystem(billing, { name: 'Billing', config: { path: 'billing.db' } });
    const syncId = s().connect(crm, billing)!;
    expect(s().untouchedSyncIds).toEqual([syncId]);
    await expect.poll(() => s().flow!.syncs[0]!.a.entity).toBe('contacts');
    expect(s().flow!.syncs[0]!.b.entity).toBe('customers');
    // The preselection is not the user's edit: the sync's problems stay hidden until then.
    expect(s().untouchedSyncIds).toEqual([syncId]);
    s().updateSync(syncId, { direction: 'both' });
    expect(s().untouchedSyncIds).toEqual([]);

    const other = s().connect(billing, crm)!;
    expect(s().untouchedSyncIds).toEqual([other]);
    expect(await s().save({ auto: true })).toBe(false);
    expect(s().untouchedSyncIds).toEqual([other]);
    expect(await s().save()).toBe(false);
    expect(s().untouchedSyncIds).toEqual([]);
  });

  it('stores a secret write-only and records only its keychain name', async () => {
    const store = await readyStore();
    const s = () => store.getState();
    s().newFlow('Webhook in');
    const hook = s().addSystem('webhook', { x: 0, y: 0 });
    expect(await s().setSecret(hook, 'signingSecret', 's3cret-value')).toBe(true);
    const ref = s().flow!.systems[0]!.secretRefs.signingSecret!;
    expect(ref).toMatch(/signingSecret$/);
    expect(JSON.stringify(s().flow)).not.toContain('s3cret-value');
    expect(s().secretStatus?.present[ref]).toBe(true);
  });

  it('copies and pastes systems, and autosaves a valid draft after the last edit', async () => {
    const store = await readyStore();
    const s = () => store.getState();
    s().newFlow('Autosaved');
    const a = s().addSystem('sqlite', { x: 0, y: 0 });
    s().updateSystem(a, { config: { path: 'crm.db' } });
    s().setCanvasSelection([a]);
    const text = s().copySelectionText()!;
    expect(s().pasteText(text)).toBe(true);
    expect(s().flow!.systems).toHaveLength(2);
    expect(s().pasteText('not a snippet')).toBe(false);

    const stop = startAutosave(store, 20);
    s().moveSystems(new Map([[a, { x: 100, y: 100 }]]));
    await expect.poll(() => isDirty(s()), { timeout: 5000 }).toBe(false);
    stop();
    const { flow } = await api.call('flows.get', { flowId: s().selectedFlowId! });
    expect(flow.systems[0]!.position).toEqual({ x: 100, y: 100 });
  });

  it('an empty new flow is saved only once the user adds a system or names it', async () => {
    const store = await readyStore();
    const s = () => store.getState();
    const names = async () => (await api.call('flows.list', {})).map((f) => f.name);
    const stop = startAutosave(store, 10);
    try {
      s().newFlow();
      await new Promise((r) => setTimeout(r, 200));
      expect(await names()).not.toContain('Untitled flow');
      // Another new flow, and back to a saved one: still nothing saved.
      s().newFlow();
      await s().selectFlow('demo');
      await new Promise((r) => setTimeout(r, 200));
      expect((await names()).filter((n) => n.startsWith('Untitled flow'))).toEqual([]);

      // Named: saved under that name.
      s().newFlow();
      s().renameFlow('Orders to billing');
      await expect.poll(() => isDirty(s()), { timeout: 5000 }).toBe(false);
      expect(await names()).toContain('Orders to billing');

      // A system added: saved, and undoing back to empty saves that too (the flow exists now).
      s().newFlow();
      const id = s().selectedFlowId!;
      s().addSystem('sqlite', { x: 0, y: 0 });
      await expect.poll(async () => (await api.call('flows.list', {})).some((f) => f.id === id), { timeout: 5000 }).toBe(true);
      s().undo();
      await expect.poll(async () => (await api.call('flows.get', { flowId: id })).flow.systems.length, { timeout: 5000 }).toBe(0);
    } finally {
      stop();
    }
  });

  it('a flow file with the id of a workspace flow opens only when the user chooses replace or copy', async () => {
    const store = await readyStore();
    const s = () => store.getState();
    const { flow: original } = await api.call('flows.get', { flowId: 'demo' });
    const edited = { ...original, name: 'Edited elsewhere', systems: original.systems.map((x) => ({ ...x, position: { x: x.position.x + 40, y: 7 } })) };
    const before = s().flow;
    const stop = startAutosave(store, 10);
    expect(s().openFlowText(JSON.stringify(edited), 'demo.flow.json')).toBe(true);
    // Nothing opened, nothing saved: the question is asked first.
    expect(s().pendingImport).toMatchObject({ fileName: 'demo.flow.json', existingName: original.name });
    expect(s().flow).toBe(before);
    await new Promise((r) => setTimeout(r, 100));
    expect((await api.call('flows.get', { flowId: 'demo' })).flow).toEqual(original);

    s().resolveImport('copy');
    expect(s().pendingImport).toBeNull();
    expect(s().flow).toMatchObject({ id: 'edited-elsewhere-copy', name: 'Edited elsewhere (copy)' });
    await expect.poll(() => isDirty(s()), { timeout: 5000 }).toBe(false);
    expect((await api.call('flows.get', { flowId: 'demo' })).flow).toEqual(original);
    expect((await api.call('flows.get', { flowId: 'edited-elsewhere-copy' })).flow.systems[0]!.position.y).toBe(7);

    // Cancel leaves everything as it was; replace is a choice, and then it is saved over the flow.
    s().openFlowText(JSON.stringify(edited), 'demo.flow.json');
    s().resolveImport('cancel');
    expect(s().flow!.id).toBe('edited-elsewhere-copy');
    s().openFlowText(JSON.stringify(edited), 'demo.flow.json');
    s().resolveImport('replace');
    await expect.poll(async () => (await api.call('flows.get', { flowId: 'demo' })).flow.name, { timeout: 5000 }).toBe('Edited elsewhere');
    stop();
  });
});
