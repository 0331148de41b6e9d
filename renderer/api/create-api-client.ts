import type { PreloadApi } from '../../shared/api/contract.js';
import type { ApiClient } from './api-client.js';
import { takeAccessToken, type TokenEnvironment } from './access-token.js';
import { createHttpTransport, type EventSourceLike } from './http-transport.js';
import { createIpcTransport } from './ipc-transport.js';

export interface ClientEnvironment extends TokenEnvironment {
  /** The preload bridge; present only inside the Electron window. */
  synccanvas?: PreloadApi;
  location: TokenEnvironment['location'] & Pick<Location, 'origin'>;
  fetch: typeof fetch;
  createEventSource?: (url: string) => EventSourceLike;
}

/** The single place that decides how the UI talks to the runtime: IPC inside Electron, HTTP in a browser. */
export function createApiClient(env: ClientEnvironment): ApiClient {
  if (env.synccanvas) return createIpcTransport(env.synccanvas);
  return createHttpTransport({
    origin: env.location.origin,
    token: takeAccessToken(env),
    fetch: env.fetch,
    createEventSource: env.createEventSource,
  });
}

/** The live browser globals, read once at startup. */
export function browserEnvironment(): ClientEnvironment {
  let storage: Storage | null = null;
  try {
    storage = window.sessionStorage;
  } catch {
    storage = null;
  }
  return {
    synccanvas: (window as Window & { synccanvas?: PreloadApi }).synccanvas,
    location: window.location,
    history: window.history,
    sessionStorage: storage,
    fetch: window.fetch.bind(window),
    createEventSource: typeof EventSource === 'function' ? (url) => new EventSource(url) : undefined,
  };
}
