import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiOutputs, RuntimeEvent } from '../../shared/api/contract.js';
import { ApiError, type ApiHandlers } from '../../electron/runtime/api/handlers.js';
import { startHttpServer, type RunningHttpServer } from '../../electron/runtime/api/http-server.js';
import { ApiCallError } from './api-call-error.js';
import { createHttpTransport, type EventSourceLike } from './http-transport.js';

const INFO: ApiOutputs['workspace.info'] = { name: 'Client test', path: '/tmp/ws', demo: true, version: '0.1.0', keychain: { available: false, message: 'no Secret Service' } };

/** A real handler table for the real HTTP server: a few methods answer, the rest refuse. */
function handlers(received: unknown[]): ApiHandlers {
  const table: Record<string, (input: never) => Promise<unknown>> = {};
  const refuse = (method: string) => async () => {
    throw new ApiError('unavailable', `${method} is not part of this test`);
  };
  for (const m of ['workspace.info', 'flows.list', 'flows.get', 'flows.save', 'flows.validate', 'flows.delete', 'flows.start', 'flows.stop', 'status.get', 'metrics.series', 'dlq.list', 'dlq.get', 'dlq.replay', 'dlq.discard', 'preview.run', 'connectors.list', 'connectors.test', 'connectors.discover', 'secrets.set', 'secrets.status']) {
    table[m] = refuse(m);
  }
  return {
    ...(table as unknown as ApiHandlers),
    'workspace.info': async (input) => {
      received.push(input);
      return INFO;
    },
    'flows.get': async ({ flowId }) => {
      throw new ApiError('not_found', `No flow "${flowId}": list flows with flows.list.`);
    },
  };
}

/**
 * Node 20 has no EventSource; this reads the same server-sent-event stream with fetch, delivering
 * each `data:` block as a 'message' event like the browser's EventSource does.
 */
function fetchEventSource(url: string): EventSourceLike {
  const controller = new AbortController();
  const listeners = new Map<string, ((e: { data?: unknown }) => void)[]>();
  void (async () => {
    const res = await fetch(url, { signal: controller.signal });
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        const named = /^event:\s*(.+)$/m.exec(block)?.[1] ?? 'message';
        if (data) for (const l of listeners.get(named) ?? []) l({ data });
      }
    }
  })().catch(() => undefined);
  return {
    addEventListener(type, listener) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    close: () => controller.abort(),
  };
}

describe('HTTP transport against the runtime HTTP server', () => {
  let server: RunningHttpServer;
  const received: unknown[] = [];
  const eventListeners = new Set<(e: RuntimeEvent) => void>();
  let origin: string;

  beforeAll(async () => {
    server = await startHttpServer({
      handlers: handlers(received),
      port: 0,
      subscribe: (listener) => {
        eventListeners.add(listener);
        return () => eventListeners.delete(listener);
      },
    });
    origin = new URL(server.url).origin;
  });
  afterAll(async () => {
    await server.close();
  });

  it('calls a method with the bearer token and returns its output', async () => {
    const client = createHttpTransport({ origin, token: server.token, fetch });
    expect(client.mode).toBe('http');
    await expect(client.call('workspace.info', {})).resolves.toEqual(INFO);
    expect(received).toContainEqual({});
  });

  it("rejects with the API's own code and message", async () => {
    const client = createHttpTransport({ origin, token: server.token, fetch });
    const error = await client.call('flows.get', { flowId: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error).toMatchObject({ code: 'not_found', message: 'No flow "nope": list flows with flows.list.' });
  });

  it('passes on validation issues from a bad input', async () => {
    const client = createHttpTransport({ origin, token: server.token, fetch });
    const error = (await client.call('flows.get', { flowId: '' }).catch((e: unknown) => e)) as ApiCallError;
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/flowId/);
    expect(error.issues.length).toBeGreaterThan(0);
  });

  it('reports a wrong token as unauthorized with the server message', async () => {
    const client = createHttpTransport({ origin, token: 'not-the-token-at-all', fetch });
    const error = (await client.call('workspace.info', {}).catch((e: unknown) => e)) as ApiCallError;
    expect(error.code).toBe('unauthorized');
    expect(error.message).toMatch(/token/i);
  });

  it('explains a missing token without calling the server', async () => {
    let fetched = 0;
    const client = createHttpTransport({
      origin,
      token: null,
      fetch: (...args) => {
        fetched += 1;
        return fetch(...args);
      },
    });
    const error = (await client.call('workspace.info', {}).catch((e: unknown) => e)) as ApiCallError;
    expect(error.code).toBe('unauthorized');
    expect(error.message).toContain('#token=');
    expect(fetched).toBe(0);
  });

  it('says the runtime is unreachable when nothing listens', async () => {
    const closed = await startHttpServer({ handlers: handlers([]), port: 0 });
    const deadOrigin = new URL(closed.url).origin;
    await closed.close();
    const client = createHttpTransport({ origin: deadOrigin, token: closed.token, fetch });
    const error = (await client.call('workspace.info', {}).catch((e: unknown) => e)) as ApiCallError;
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain(deadOrigin);
  });

  it('delivers pushed runtime events to listeners and stops when the last one leaves', async () => {
    const client = createHttpTransport({ origin, token: server.token, fetch, createEventSource: fetchEventSource });
    const got: RuntimeEvent[] = [];
    const stop = client.onEvent((e) => got.push(e));
    await waitFor(() => eventListeners.size === 1);
    const event: RuntimeEvent = { type: 'notice', level: 'warning', message: 'demo notice' };
    for (const l of eventListeners) l(event);
    await waitFor(() => got.length === 1);
    expect(got).toEqual([event]);
    stop();
    await waitFor(() => eventListeners.size === 0);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
