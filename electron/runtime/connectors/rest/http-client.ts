import { createRequire } from 'node:module';
import type * as Undici from 'undici';
import { syncError, type SyncError } from '../../../../shared/errors.js';
import { parseRetryAfter } from './retry-after.js';

export interface HttpClientOptions {
  baseUrl: string;
  /** Sockets kept per origin; requests beyond it queue on the pool. */
  connections?: number;
  /** Extra trusted CA (PEM) for a private or self-signed endpoint. */
  ca?: string;
  timeoutMs?: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path relative to baseUrl, or an absolute URL on the same origin (Link-header pages). */
  url: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** Abandons the request (capture stopping). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Plain http is for loopback only (local systems, contract servers); anything else must be https. */
export function checkBaseUrl(baseUrl: string): URL {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new Error(`"${baseUrl}" is not a URL; write it like https://api.example.com`);
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return u;
  throw new Error(`"${baseUrl}" must use https:// (plain http is allowed on 127.0.0.1 only)`);
}

/** undici is loaded on first use, not at every runtime start (a flow without HTTP systems never needs it). */
const loadUndici = (() => {
  let mod: typeof Undici | null = null;
  const requireFromHere = createRequire(import.meta.url);
  return (): typeof Undici => (mod ??= requireFromHere('undici') as typeof Undici);
})();

/**
 * One pooled undici Agent per connection: keep-alive sockets, TLS 1.2 as the floor, and a
 * total timeout per request so a hung endpoint turns into a transient error instead of a stall.
 */
export class HttpClient {
  readonly base: URL;
  private readonly agent: Undici.Agent;
  private readonly timeoutMs: number;

  constructor(opts: HttpClientOptions) {
    this.base = checkBaseUrl(opts.baseUrl);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = new (loadUndici().Agent)({
      connections: opts.connections ?? 8,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: { minVersion: 'TLSv1.2', ...(opts.ca ? { ca: opts.ca } : {}) },
    });
  }

  resolve(url: string, query?: Record<string, string>): URL {
    let u: URL;
    if (/^https?:\/\//i.test(url)) {
      u = new URL(url);
      if (u.origin !== this.base.origin) throw new Error(`refusing to follow ${u.origin}: requests stay on ${this.base.origin}`);
    } else {
      const basePath = this.base.pathname.replace(/\/$/, '');
      u = new URL(this.base.origin + basePath + url);
    }
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u;
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const u = this.resolve(req.url, req.query);
    const res = await loadUndici().request(u, {
      dispatcher: this.agent,
      method: req.method,
      headers: req.headers ?? {},
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export function snippet(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/**
 * The error class a response means: 429/502/503/504 unavailable (the service is not taking work;
 * the edge pauses, honouring Retry-After), other 5xx and 408 transient (may be this record),
 * 400/422 validation, other 4xx permanent.
 */
export function errorForResponse(res: HttpResponse, what: string): SyncError | null {
  const s = res.status;
  if (s >= 200 && s < 300) return null;
  const response = snippet(res.text);
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  const after = retryAfterMs !== null ? { retryAfterMs } : {};
  if (s === 429) return syncError('unavailable', `${what}: rate limited (429)`, { response, retryAfterMs: retryAfterMs ?? 1000 });
  if (s === 502 || s === 503 || s === 504) return syncError('unavailable', `${what}: the service is unavailable (${s})`, { response, ...after });
  if (s >= 500 || s === 408) return syncError('transient', `${what}: the server failed (${s})`, { response, ...after });
  if (s === 400 || s === 422) return syncError('validation', `${what}: the server rejected the data (${s})`, { response });
  if (s === 401 || s === 403) return syncError('permanent', `${what}: the credentials were refused (${s}); check the API token and its permissions`, { response });
  if (s === 404) return syncError('permanent', `${what}: not found (404)`, { response });
  return syncError('permanent', `${what}: unexpected status ${s}`, { response });
}

/** Network failures (refused, reset, timeout) make the service unavailable; a TLS version/certificate refusal is permanent (no retry fixes it). */
export function errorForException(e: unknown, what: string): SyncError {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code ?? '';
  const message = err.cause?.message ?? err.message ?? String(e);
  if (/TLS|SSL|CERT|PROTOCOL/i.test(code) || /protocol version|certificate/i.test(message)) {
    return syncError('permanent', `${what}: TLS failed (${code || message}); the server must offer TLS 1.2 or newer with a trusted certificate`);
  }
  return syncError('unavailable', `${what}: ${code ? `${code} ` : ''}${message}`);
}

/** Thrown inside the connector to carry a classified error up to the WriteResult or capture loop. */
export class HttpSyncError extends Error {
  constructor(
    readonly error: SyncError,
    /** The HTTP status when the error came from a response. */
    readonly status?: number,
  ) {
    super(error.message);
  }
}
