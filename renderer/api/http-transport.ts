import { HTTP_CALL_PREFIX, HTTP_EVENTS_PATH, type ApiInput, type ApiMethod, type ApiOutputs, type RuntimeEvent } from '../../shared/api/contract.js';
import type { ApiClient } from './api-client.js';
import { ApiCallError, apiCallErrorFrom } from './api-call-error.js';
import { parseRuntimeEvent } from './runtime-event.js';

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  close(): void;
}

export interface HttpTransportOptions {
  /** Origin of the runtime's HTTP server, e.g. `http://127.0.0.1:4100`. */
  origin: string;
  /** null when the page was opened without `#token=…`; every call then explains how to get one. */
  token: string | null;
  fetch: typeof fetch;
  /** Absent where the platform has no EventSource; status then comes from polling alone. */
  createEventSource?: (url: string) => EventSourceLike;
}

const MISSING_TOKEN =
  'This page has no access token. Open the exact URL that "synccanvas serve" printed (it ends in #token=…).';

/** Browser mode: `POST /api/call/<method>` with a bearer token, events over server-sent events. */
export function createHttpTransport(options: HttpTransportOptions): ApiClient {
  const { origin, token } = options;
  const listeners = new Set<(event: RuntimeEvent) => void>();
  let source: EventSourceLike | null = null;

  async function call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]> {
    if (token === null) throw new ApiCallError('unauthorized', MISSING_TOKEN);
    let response: Response;
    try {
      response = await options.fetch(new URL(`${HTTP_CALL_PREFIX}${method}`, origin).href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(input ?? {}),
      });
    } catch (cause) {
      throw new ApiCallError(
        'unavailable',
        `Cannot reach the SyncCanvas runtime at ${origin} (${cause instanceof Error ? cause.message : String(cause)}). Is "synccanvas serve" still running?`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (response.ok) {
      if (body === undefined) throw new ApiCallError('internal', `The runtime answered ${method} with something that is not JSON.`);
      return body as ApiOutputs[M];
    }
    const fallback =
      response.status === 401
        ? new ApiCallError('unauthorized', 'The runtime refused the access token. Open the URL that "synccanvas serve" printed most recently.')
        : new ApiCallError(response.status >= 500 ? 'internal' : 'bad_request', `The runtime answered ${method} with HTTP ${response.status}.`);
    throw apiCallErrorFrom((body as { error?: unknown } | undefined)?.error, fallback);
  }

  function openSource(): void {
    if (token === null || !options.createEventSource) return;
    const url = new URL(HTTP_EVENTS_PATH, origin);
    url.searchParams.set('token', token);
    source = options.createEventSource(url.href);
    const deliver = (message: { data?: unknown }): void => {
      if (typeof message.data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      const event = parseRuntimeEvent(parsed);
      if (event) for (const listener of [...listeners]) listener(event);
    };
    // The server may send unnamed events or name them after their type; take both.
    for (const type of ['message', 'status', 'notice']) source.addEventListener(type, deliver);
  }

  return {
    mode: 'http',
    call,
    onEvent(listener) {
      listeners.add(listener);
      if (source === null) openSource();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source !== null) {
          source.close();
          source = null;
        }
      };
    },
  };
}
