import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { HTTP_CALL_PREFIX, HTTP_EVENTS_PATH, type ApiErrorBody, type AuditEntry, type RuntimeEvent } from '../../../shared/api/contract.js';
import { METHOD_ACCESS, roleAllows, type Role } from '../../../shared/api/roles.js';
import { auditTarget } from './audit-target.js';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.js';
import { dispatchApiCall, HTTP_STATUS_OF, isApiMethod, type DispatchOptions } from './dispatch.js';
import type { ApiHandlers } from './handlers.js';
import { lookupStaticFile, openStaticFile } from './http-static.js';
import { createApiToken, tokenMatches } from './http-token.js';
import { FEEDS_PREFIX, serveFeed, type FeedAccess } from './feed-files.js';

export interface HttpServerOptions {
  handlers: ApiHandlers;
  /**
   * Loopback by default: the API drives the user's systems. Any other address needs `tls` and at
   * least one user with a role (`users`), so nobody reaches it in the clear or without a name.
   */
  host?: string;
  port?: number;
  /** The bearer token every /api request must carry; a fresh random one when omitted. */
  token?: string;
  /** The built renderer (dist/renderer), served with an SPA fallback to index.html. */
  staticDir?: string;
  subscribe?: (listener: (event: RuntimeEvent) => void) => () => void;
  /** HTTPS with this certificate and key (PEM). Required off loopback. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * People with their own tokens and roles (synccanvas users add). The printed token stays the
   * local admin's, for whoever started the server.
   */
  users?: { authenticate(token: string): { name: string; role: Role } | null; count(): number };
  /** AI feeds served as files, each to its own scoped tokens (api/feed-files.ts). */
  feeds?: FeedAccess;
  /** Receives every mutating call (who, what, outcome): the audit log. */
  audit?: (entry: Omit<AuditEntry, 'id'>) => void;
  maxBodyBytes?: number;
  /** How often an idle event stream gets a comment line, so proxies and browsers keep it open. */
  heartbeatMs?: number;
  logError?: DispatchOptions['logError'];
}

export interface RunningHttpServer {
  /** `http://127.0.0.1:<port>/#token=<token>`: what a person opens. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const MIN_TOKEN_LENGTH = 16;

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Serves the runtime API (and optionally the UI) over HTTP on loopback; see the transport notes in shared/api/contract.ts. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createApiToken();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const remote = !isLoopbackHost(host);
  if (remote && !options.tls) {
    throw new Error(`Refusing to serve the SyncCanvas API on "${host}" without TLS: give a certificate and key (--tls-cert FILE --tls-key FILE), or bind 127.0.0.1.`);
  }
  if (remote && !(options.users && options.users.count() > 0)) {
    throw new Error(`Refusing to serve the SyncCanvas API on "${host}" with no users: add the people who will use it first (synccanvas users add NAME --role viewer|operator|editor|admin).`);
  }
  if (token.length < MIN_TOKEN_LENGTH) throw new Error(`The API token must be at least ${MIN_TOKEN_LENGTH} characters; omit it to get a random one.`);

  const streams = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const dispatchOptions: DispatchOptions = options.logError ? { logError: options.logError } : {};

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    handle(req, res).catch((error: unknown) => {
      (options.logError ?? ((m, e) => console.error(`[synccanvas] ${m} failed:`, e)))(`${req.method} ${req.url}`, error);
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: 'Internal error; the runtime log has the details.' });
      else res.destroy();
    });
  };
  const server: Server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, onRequest) : createServer(onRequest);
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!remote && !hostHeaderIsLoopback(req.headers.host)) {
      // DNS rebinding: a web page on evil.example resolving to 127.0.0.1 still sends its own Host.
      sendError(res, 403, { code: 'unauthorized', message: 'This server answers only requests addressed to 127.0.0.1, localhost or [::1].' });
      return;
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      await handleApi(req, res, url);
      return;
    }
    if (options.feeds && url.pathname.startsWith(FEEDS_PREFIX)) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      const given = bearerToken(req.headers.authorization);
      // The local token reads every feed; a feed token its own feed only; API users' tokens none.
      const principal = tokenMatches(token, given) ? ('admin' as const) : given ? options.feeds.authenticate(given) : null;
      if (!principal) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        sendError(res, 401, { code: 'unauthorized', message: 'Send the feed\'s token: `Authorization: Bearer <token>` (made with `synccanvas feeds token`).' });
        return;
      }
      serveFeed(url.pathname, principal, options.feeds, res, (r, status, body) => ('files' in body ? sendJson(r, status, JSON.stringify(body)) : sendError(r, status, body)));
      return;
    }
    await handleStatic(req, res, url);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const given = bearerToken(req.headers.authorization) ?? (url.pathname === HTTP_EVENTS_PATH ? url.searchParams.get('token') : null);
    const principal = tokenMatches(token, given) ? { name: 'local admin', role: 'admin' as const } : given ? (options.users?.authenticate(given) ?? null) : null;
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      sendError(res, 401, {
        code: 'unauthorized',
        message: given
          ? 'Wrong API token. Use the token from the URL the runtime printed (after #token=).'
          : 'Missing API token: send `Authorization: Bearer <token>` (for /api/events: `?token=<token>`); the token is in the URL the runtime printed, after #token=.',
      });
      return;
    }
    if (url.pathname === HTTP_EVENTS_PATH) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      openEventStream(req, res);
      return;
    }
    if (!url.pathname.startsWith(HTTP_CALL_PREFIX)) {
      sendError(res, 404, { code: 'not_found', message: `No API route ${url.pathname}. Call methods with POST ${HTTP_CALL_PREFIX}<method>.` });
      return;
    }
    if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
    let method: string;
    try {
      method = decodeURIComponent(url.pathname.slice(HTTP_CALL_PREFIX.length));
    } catch {
      sendError(res, 400, { code: 'bad_request', message: 'The method name in the URL is not valid percent-encoding.' });
      return;
    }

    const body = await readBody(req, maxBodyBytes);
    if (body.kind === 'too-large') {
      res.setHeader('Connection', 'close');
      sendError(res, 413, { code: 'bad_request', message: `The request body is larger than ${maxBodyBytes} bytes; send less (e.g. replay by filter instead of listing ids).` });
      return;
    }
    if (body.kind === 'aborted') return;
    let input: unknown = {};
    if (body.text.trim() !== '') {
      try {
        input = JSON.parse(body.text);
      } catch (error) {
        sendError(res, 400, { code: 'bad_request', message: `The request body is not valid JSON (${(error as Error).message}); send the method input as a JSON object.` });
        return;
      }
    }
    if (isApiMethod(method) && !roleAllows(principal.role, method)) {
      sendError(res, 403, { code: 'forbidden', message: `${method} needs the ${METHOD_ACCESS[method].role} role; ${principal.name} is ${principal.role === 'admin' || principal.role === 'editor' || principal.role === 'operator' ? 'an' : 'a'} ${principal.role}. Ask an admin.` });
      return;
    }
    const result = await dispatchApiCall(options.handlers, method, input, dispatchOptions);
    if (isApiMethod(method) && METHOD_ACCESS[method].mutates && options.audit) {
      const { target, reason } = auditTarget(input);
      options.audit({ at: Date.now(), who: principal.name, role: principal.role, method, target, reason, ok: result.ok, error: result.ok ? null : result.error.message });
    }
    if (result.ok) {
      let json: string;
      try {
        json = JSON.stringify(result.value ?? null);
      } catch (error) {
        (options.logError ?? ((m, e) => console.error(`[synccanvas] ${m} failed:`, e)))(method, error);
        sendError(res, 500, { code: 'internal', message: `Internal error in ${method}: its result could not be encoded as JSON.` });
        return;
      }
      sendJson(res, 200, json);
    } else {
      sendError(res, HTTP_STATUS_OF[result.error.code], result.error);
    }
  }

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    if (!options.subscribe) {
      sendError(res, 404, { code: 'not_found', message: 'This server has no event stream.' });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n: connected\n\n');
    streams.add(res);
    const unsubscribe = options.subscribe((event) => {
      res.write(`data: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    const stop = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', stop);
    res.on('close', stop);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
    if (!options.staticDir) {
      sendText(res, 404, 'Not found. This SyncCanvas server serves only the API (under /api/).');
      return;
    }
    const found = await lookupStaticFile(options.staticDir, url.pathname);
    if (found.kind === 'bad-request') return sendText(res, 400, found.message);
    if (found.kind === 'not-found') return sendText(res, 404, `Not found: ${url.pathname}`);
    const immutable = !found.spaFallback && url.pathname.startsWith('/assets/');
    res.writeHead(200, {
      'Content-Type': found.contentType,
      'Content-Length': String(found.size),
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = openStaticFile(found.filePath);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    url: `${options.tls ? 'https' : 'http'}://${urlHost(host)}:${port}/#token=${token}`,
    port,
    token,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function hostHeaderIsLoopback(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  return isLoopbackHost(name.toLowerCase());
}

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

type Body = { kind: 'ok'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', () => {
      if (done) return;
      done = true;
      resolve({ kind: 'aborted' });
    });
    req.on('close', () => {
      if (done) return;
      done = true;
      resolve({ kind: 'aborted' });
    });
  });
}

function sendJson(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(json)), 'Cache-Control': 'no-store' });
  res.end(json);
}

function sendError(res: ServerResponse, status: number, error: ApiErrorBody['error']): void {
  const body: ApiErrorBody = { error };
  sendJson(res, status, JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), 'Content-Security-Policy': CONTENT_SECURITY_POLICY });
  res.end(text);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendError(res, 405, { code: 'bad_request', message: `Use ${allow} for this route.` });
}
