import { describe, expect, it } from 'vitest';
import { closeOperations, opsStore } from '../ops/ops-store.js';
import type { ApiInput, ApiMethod, ApiOutputs, ApiTransport, FlowStatus, FlowSummary } from '../../shared/api/contract.js';
import { FLOW_SCHEMA_VERSION, FlowDocumentSchema, type FlowDocument } from '../../shared/flow/schema.js';
import { dispatchApiCall } from '../../electron/runtime/api/dispatch.js';
import { ApiError, type ApiHandlers } from '../../electron/runtime/api/handlers.js';
import { ApiCallError, apiCallErrorFrom } from '../api/api-call-error.js';
import { createAppStore, selectedFlowStatus } from './app-store.js';

function doc(id: string, syncIds: string[]): FlowDocument {
  return FlowDocumentSchema.parse({
    schemaVersion: FLOW_SCHEMA_VERSION,
    id,
    name: `Flow ${id}`,
    systems: [
      { id: 'crm', name: 'CRM', kind: 'sqlite' },
      { id: 'billing', name: 'Billing', kind: 'sqlite' },
    ],
    syncs: syncIds.map((s) => ({ id: s, a: { system: 'crm', entity: s }, b: { system: 'billing', entity: s }, direction: 'both', matchKey: { a: 'email', b: 'email' }, fields: [{ a: 'email', b: 'email', owner: 'a' }] })),
  });
}

function flowStatus(flowId: string, running: boolean): FlowStatus {
  return { flowId, running, startedAt: running ? 1 : null, error: null, inboxPending: 0, dlqDepth: 0, systems: [], syncs: [], notices: [] };
}

/**
 * A small runtime behind the real dispatcher (input validation, error values), reached the way the
 * IPC transport reaches it. Flow "busy" refuses to start, as a runtime would with a bad connection.
 */
function runtime(options: { failInfo?: boolean; slowFlow?: string } = {}) {
  const flows: FlowSummary[] = [
    { id: 'idle', name: 'Idle flow', running: false, updatedAt: 1 },
    { id: 'live', name: 'Live flow', running: true, updatedAt: 2 },
    { id: 'busy', name: 'Busy flow', running: false, updatedAt: 3 },
  ];
  const docs: Record<string, FlowDocument> = { idle: doc('idle', ['a']), live: doc('live', ['contacts', 'orders']), busy: doc('busy', []) };
  const gates: (() => void)[] = [];
  const handlers = {
    'workspace.info': async () => {
      if (options.failInfo) throw new ApiError('unavailable', 'The workspace database is locked by another SyncCanvas.');
      return { name: 'Test WS', path: '/tmp/ws', demo: true, version: '0', keychain: { available: false, message: 'No Secret Service' } };
    },
    'flows.list': async () => flows,
    'flows.get': async ({ flowId }: { flowId: string }) => {
      if (flowId === options.slowFlow) await new Promise<void>((r) => gates.push(r));
      const flow = docs[flowId];
      if (!flow) throw new ApiError('not_found', `No flow "${flowId}".`);
      return { flow };
    },
    'flows.goLive': async ({ flowId }: { flowId: string }) => {
      if (flowId === 'busy') throw new ApiError('unavailable', 'Connection to Billing refused: check the host and port.');
      if (flowId === 'idle') throw new ApiError('conflict', 'preflight fails (Contacts: Secrets are present): fix these, or go live with an override and a written reason');
      return { status: flowStatus(flowId, true) };
    },
    'flows.stop': async ({ flowId }: { flowId: string }) => flowStatus(flowId, false),
    'connectors.list': async () => [{ kind: 'sqlite', label: 'SQLite', description: '', configJsonSchema: {}, secretFields: [], captureModes: [] }],
  } as unknown as ApiHandlers;
  const api: ApiTransport = {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]> {
      const result = await dispatchApiCall(handlers, method, input, { logError: () => undefined });
      if (result.ok) return result.value as ApiOutputs[M];
      throw apiCallErrorFrom(result.error, new ApiCallError('internal', 'unexpected'));
    },
  };
  return { api, release: () => gates.splice(0).forEach((g) => g()) };
}

describe('app store', () => {
  it('opens the workspace on its running flow and selects the first sync', async () => {
    const store = createAppStore(runtime().api);
    await store.getState().init();
    const s = store.getState();
    expect(s.phase).toBe('ready');
    expect(s.workspace?.name).toBe('Test WS');
    expect(s.selectedFlowId).toBe('live');
    expect(s.flow?.id).toBe('live');
    expect(s.selectedSyncId).toBe('contacts');
  });

  it("shows the runtime's message when the workspace cannot be opened", async () => {
    const store = createAppStore(runtime({ failInfo: true }).api);
    await store.getState().init();
    expect(store.getState()).toMatchObject({ phase: 'failed', loadError: 'The workspace database is locked by another SyncCanvas.' });
  });

  it('merges pushed status per flow and keeps the flow list in step', async () => {
    let clock = 100;
    const store = createAppStore(runtime().api, () => clock);
    await store.getState().init();
    store.getState().receiveStatus([flowStatus('live', true), flowStatus('idle', true)]);
    clock = 200;
    store.getState().receiveStatus([flowStatus('live', false)]);
    const s = store.getState();
    expect(s.statusAt).toBe(200);
    expect(selectedFlowStatus(s)?.running).toBe(false);
    expect(s.statuses.idle?.running).toBe(true);
    expect(s.flows.map((f) => [f.id, f.running])).toEqual([
      ['idle', true],
      ['live', false],
      ['busy', false],
    ]);
  });

  it('starts and stops the selected flow, and shows why a start failed', async () => {
    const store = createAppStore(runtime().api);
    await store.getState().init();
    await store.getState().stopFlow();
    expect(selectedFlowStatus(store.getState())?.running).toBe(false);
    await store.getState().startFlow();
    expect(selectedFlowStatus(store.getState())?.running).toBe(true);

    await store.getState().selectFlow('busy');
    await store.getState().startFlow();
    expect(store.getState().actionError).toBe('Could not start the flow: Connection to Billing refused: check the host and port.');
    // Start runs preflight: a flow that fails it is not started, and its checks open.
    await store.getState().selectFlow('idle');
    await store.getState().startFlow();
    expect(store.getState().actionError).toMatch(/^Not started: preflight found problems/);
    expect(opsStore.getState()).toMatchObject({ open: true, tab: 'preflight' });
    expect(selectedFlowStatus(store.getState())?.running ?? false).toBe(false);
    closeOperations();
    await store.getState().selectFlow('busy');
    expect(store.getState().pendingAction).toBeNull();
    store.getState().dismissActionError();
    expect(store.getState().actionError).toBeNull();
  });

  it('ignores an unknown sync id and a flow answer that arrives after the user moved on', async () => {
    const rt = runtime({ slowFlow: 'idle' });
    const store = createAppStore(rt.api);
    await store.getState().init();
    store.getState().selectSync('nope');
    expect(store.getState().selectedSyncId).toBe('contacts');
    store.getState().selectSync('orders');
    expect(store.getState().selectedSyncId).toBe('orders');

    const slow = store.getState().selectFlow('idle');
    await store.getState().selectFlow('live');
    rt.release();
    await slow;
    expect(store.getState().flow?.id).toBe('live');
  });

  it('reports a flow that cannot be opened without failing the workspace', async () => {
    const store = createAppStore(runtime().api);
    await store.getState().init();
    await store.getState().selectFlow('gone');
    expect(store.getState()).toMatchObject({ phase: 'ready', flow: null, flowError: 'No flow "gone".' });
  });

  it('keeps the last few notices', () => {
    const store = createAppStore(runtime().api);
    for (let i = 1; i <= 6; i += 1) store.getState().addNotice('info', `n${i}`);
    expect(store.getState().notices.map((n) => n.message)).toEqual(['n3', 'n4', 'n5', 'n6']);
    store.getState().dismissNotice(store.getState().notices[0]!.id);
    expect(store.getState().notices).toHaveLength(3);
  });
});
