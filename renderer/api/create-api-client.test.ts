import { describe, expect, it } from 'vitest';
import type { ApiOutputs, PreloadApi, RuntimeEvent } from '../../shared/api/contract.js';
import { dispatchApiCall } from '../../electron/runtime/api/dispatch.js';
import { ApiError, type ApiHandlers } from '../../electron/runtime/api/handlers.js';
import { ApiCallError } from './api-call-error.js';
import { createApiClient, type ClientEnvironment } from './create-api-client.js';
import { TOKEN_STORAGE_KEY } from './access-token.js';

const INFO: ApiOutputs['workspace.info'] = { name: 'IPC test', path: '/tmp/ws', demo: false, version: '0.1.0', keychain: { available: true, message: 'ok' } };

/** What the Electron main process does with an IPC call: the runtime's one dispatcher, over a real handler table. */
function bridgeOverDispatcher(): PreloadApi & { emit(event: unknown): void } {
  const listeners = new Set<(e: RuntimeEvent) => void>();
  const handlers = {
    'workspace.info': async () => INFO,
    'flows.start': async ({ flowId }: { flowId: string }) => {
      throw new ApiError('conflict', `Flow "${flowId}" is already running.`);
    },
  } as unknown as ApiHandlers;
  return {
    call: (method, input) => dispatchApiCall(handlers, method, input, { logError: () => undefined }),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event) {
      for (const l of listeners) l(event as RuntimeEvent);
    },
  };
}

function browserEnv(url: string, extra: Partial<ClientEnvironment> = {}): ClientEnvironment {
  const parsed = new URL(url);
  const items = new Map<string, string>();
  return {
    location: { hash: parsed.hash, pathname: parsed.pathname, search: parsed.search, origin: parsed.origin },
    history: { state: null, replaceState: () => undefined },
    sessionStorage: { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) },
    fetch: () => Promise.reject(new Error('no network in this test')),
    ...extra,
  };
}

describe('createApiClient', () => {
  it('uses IPC when the preload bridge exists, even with a token in the URL', async () => {
    const bridge = bridgeOverDispatcher();
    const client = createApiClient(browserEnv('http://127.0.0.1:1/#token=abc', { synccanvas: bridge }));
    expect(client.mode).toBe('ipc');
    await expect(client.call('workspace.info', {})).resolves.toEqual(INFO);
  });

  it('uses HTTP in a plain browser, with the token taken from the URL', async () => {
    const env = browserEnv('http://127.0.0.1:4100/#token=secret-token');
    let seen: { url: string; auth: string | null } | null = null;
    env.fetch = async (input, init) => {
      seen = { url: String(input), auth: new Headers(init?.headers).get('authorization') };
      return new Response(JSON.stringify(INFO), { status: 200 });
    };
    const client = createApiClient(env);
    expect(client.mode).toBe('http');
    await expect(client.call('workspace.info', {})).resolves.toEqual(INFO);
    expect(seen).toEqual({ url: 'http://127.0.0.1:4100/api/call/workspace.info', auth: 'Bearer secret-token' });
    expect(env.sessionStorage?.getItem(TOKEN_STORAGE_KEY)).toBe('secret-token');
  });
});

describe('IPC transport', () => {
  it('turns an error value from the bridge into an ApiCallError with its code and message', async () => {
    const client = createApiClient(browserEnv('http://x/', { synccanvas: bridgeOverDispatcher() }));
    const error = (await client.call('flows.start', { flowId: 'demo' }).catch((e: unknown) => e)) as ApiCallError;
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error.code).toBe('conflict');
    expect(error.message).toBe('Flow "demo" is already running.');
  });

  it('reports input the runtime rejects as bad_request with its issues', async () => {
    const client = createApiClient(browserEnv('http://x/', { synccanvas: bridgeOverDispatcher() }));
    const error = (await client.call('flows.start', { flowId: '' }).catch((e: unknown) => e)) as ApiCallError;
    expect(error.code).toBe('bad_request');
    expect(error.issues[0]?.path).toContain('flowId');
  });

  it('reports a bridge that throws as unavailable', async () => {
    const bridge: PreloadApi = { call: () => Promise.reject(new Error('channel closed')), onEvent: () => () => undefined };
    const client = createApiClient(browserEnv('http://x/', { synccanvas: bridge }));
    await expect(client.call('workspace.info', {})).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('channel closed') });
  });

  it('passes valid events on and drops malformed ones', () => {
    const bridge = bridgeOverDispatcher();
    const client = createApiClient(browserEnv('http://x/', { synccanvas: bridge }));
    const got: RuntimeEvent[] = [];
    const stop = client.onEvent((e) => got.push(e));
    bridge.emit({ type: 'status', flows: [] });
    bridge.emit({ type: 'status', flows: [{ nope: 1 }] });
    bridge.emit({ type: 'notice', level: 'loud', message: 'x' });
    bridge.emit('garbage');
    bridge.emit({ type: 'notice', level: 'info', message: 'hello' });
    stop();
    bridge.emit({ type: 'notice', level: 'info', message: 'after stop' });
    expect(got).toEqual([
      { type: 'status', flows: [] },
      { type: 'notice', level: 'info', message: 'hello' },
    ]);
  });
});
