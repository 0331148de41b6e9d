import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The shared skeleton of the local contract servers: a real HTTP server on 127.0.0.1 that checks
 * credentials, logs every request, and injects the failures real APIs produce (429 with
 * Retry-After, bursts of 5xx) so connectors are tested against them, not against mocks.
 */
export interface LoggedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: LoggedRequest, url: URL) => Reply | Promise<Reply>;

export interface Faults {
  /** Answer the next n requests with 429 and this Retry-After (seconds). */
  rateLimit(n: number, retryAfterSec?: number): void;
  /** Answer the next n requests with this 5xx status. */
  serverErrors(n: number, status?: number): void;
}

export interface ContractServer extends Faults {
  url: string;
  requests: LoggedRequest[];
  /** Sockets opened so far (to check connection pooling). */
  connections: number;
  close(): Promise<void>;
}

export async function startContractServer(opts: { authorized: (req: LoggedRequest) => boolean; handle: Handler }): Promise<ContractServer> {
  const requests: LoggedRequest[] = [];
  let limited = 0;
  let retryAfter = 1;
  let errors = 0;
  let errorStatus = 503;
  let connections = 0;

  const respond = (res: ServerResponse, r: Reply) => {
    const text = r.body === undefined ? '' : JSON.stringify(r.body);
    res.writeHead(r.status, { ...(text ? { 'content-type': 'application/json' } : {}), ...r.headers });
    res.end(text);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const logged: LoggedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(logged);
      if (limited > 0) {
        limited--;
        return respond(res, { status: 429, body: { error: 'rate limited' }, headers: { 'retry-after': String(retryAfter) } });
      }
      if (errors > 0) {
        errors--;
        return respond(res, { status: errorStatus, body: { error: 'temporarily unavailable' } });
      }
      if (!opts.authorized(logged)) return respond(res, { status: 401, body: { error: 'authentication required' } });
      Promise.resolve(opts.handle(logged, url)).then(
        (r) => respond(res, r),
        (e: unknown) => respond(res, { status: 500, body: { error: String(e) } }),
      );
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    rateLimit(n, sec = 1) {
      limited = n;
      retryAfter = sec;
    },
    serverErrors(n, status = 503) {
      errors = n;
      errorStatus = status;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A JSON body, or a form-encoded one (Stripe) as a flat map with bracket keys. */
export function parseBody(req: LoggedRequest): Record<string, unknown> {
  if (!req.body) return {};
  if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(req.body));
  return JSON.parse(req.body) as Record<string, unknown>;
}

/** A monotonic clock the servers stamp records with; tests move it forward explicitly. */
export class Clock {
  constructor(public now = Date.parse('2026-01-01T00:00:00Z')) {}
  tick(ms = 1000): number {
    this.now += ms;
    return this.now;
  }
}
