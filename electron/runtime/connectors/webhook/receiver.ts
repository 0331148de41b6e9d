import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CapturedChange, CaptureSink, DeliveryLedger, SeenDelivery } from '../types.js';
import { isExactDecimal } from '../../values/exact.js';
import { parseLosslessJson } from '../../values/lossless-json.js';
import type { EntitySpec, WebhookRoute } from '../definitions/format.js';
import { getPath } from '../definitions/json-path.js';
import { BodyTooLargeError, readBody } from './body-reader.js';
import { jsonContentTypeProblem } from './content-type.js';
import { GroupCommit } from './group-commit.js';
import { changesFromPayload } from './payload-changes.js';
import { ReplayGuard } from './replay-guard.js';
import { verifyPayload, type SignatureScheme } from './signature.js';

/** What a full inbox asks senders to wait; every webhook sender we know retries on 503. */
export const INBOX_FULL_RETRY_S = 10;

export interface WebhookReceiverOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  path: string;
  maxBodyBytes: number;
  toleranceMs: number;
  /** How long a body-only signature's delivery is remembered; such a signature never goes stale. */
  replayWindowMs?: number;
  signature: SignatureScheme;
  secret: string;
  deliveryId: { header?: string | undefined; path?: string | undefined };
  routes: readonly WebhookRoute[];
  entities: readonly EntitySpec[];
  /** eventId = prefix + delivery id, so a redelivery has the same id. */
  eventIdPrefix: string;
  sink: CaptureSink;
  /** Deliveries accepted before (durable, from the runtime's store); batches then carry `deliveries` to record. */
  deliveries?: DeliveryLedger | undefined;
  reportStatus?: (status: Record<string, unknown>) => void;
  /** True while the inbox is over its bound: deliveries are refused with 503 + Retry-After until it drains. */
  inboxFull?: () => boolean;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly stats: Readonly<Record<string, number>>;
  /** Stop accepting, let in-flight requests commit and answer, then close. */
  close(): Promise<void>;
}

type Outcome =
  | 'accepted'
  | 'ignored'
  | 'duplicate'
  | 'not-found'
  | 'method'
  | 'unsupported-type'
  | 'too-large'
  | 'unsigned'
  | 'bad-signature'
  | 'stale'
  | 'bad-json'
  | 'no-delivery-id'
  | 'replay'
  | 'duplicate-body'
  | 'invalid'
  | 'commit-failed'
  | 'closing'
  | 'inbox-full';

/** What a request adds to a group commit: its changes (none when ignored) and the delivery to remember. */
interface Accepted {
  changes: CapturedChange[];
  delivery: SeenDelivery;
}

/** Three days: GitHub lets a user redeliver for that long; Shopify retries for hours. */
export const DEFAULT_REPLAY_WINDOW_MS = 3 * 24 * 60 * 60_000;

/**
 * The inbound webhook listener. A request is answered 2xx only after its change is committed to
 * the inbox (ctx.sink resolved); every rejection is a 4xx that says what to fix, and nothing of
 * a rejected request reaches the sink.
 */
export async function startWebhookReceiver(opts: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const entities = new Map(opts.entities.map((e) => [e.name, e]));
  const replay = new ReplayGuard();
  const replayWindowMs = opts.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  const stats: Record<string, number> = {};
  const deliveryHeader = opts.deliveryId.header?.toLowerCase();
  // The 2xx follows the commit at once, so each group commit is fsynced ("2xx means stored").
  const group = new GroupCommit<Accepted>((items) => {
    const changes: CapturedChange[] = [];
    for (const it of items) for (const c of it.changes) changes.push(c);
    // Without a durable ledger an ignored delivery has nothing to store.
    if (!opts.deliveries) return changes.length > 0 ? opts.sink({ changes, checkpoint: null, durable: true }) : Promise.resolve();
    return opts.sink({ changes, checkpoint: null, durable: true, deliveries: items.map((it) => it.delivery) });
  });
  let closing = false;

  const count = (o: Outcome) => {
    stats[o] = (stats[o] ?? 0) + 1;
  };
  const answer = (res: ServerResponse, status: number, outcome: Outcome, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    count(outcome);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const reject = (res: ServerResponse, status: number, outcome: Outcome, message: string, headers: Record<string, string> = {}) =>
    answer(res, status, outcome, { ok: false, error: outcome, message }, headers);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== opts.path) return reject(res, 404, 'not-found', `webhooks are received at ${opts.path}`);
    if (req.method !== 'POST') return reject(res, 405, 'method', 'send webhooks with POST', { allow: 'POST' });
    if (closing) return reject(res, 503, 'closing', 'the receiver is shutting down; retry shortly', { 'retry-after': '5' });
    const typeProblem = jsonContentTypeProblem(req.headers['content-type']);
    // The body is left unread, so the connection is not reused.
    if (typeProblem) return reject(res, 415, 'unsupported-type', typeProblem, { connection: 'close' });
    // Back-pressure: refused before the body is read, so a full inbox costs the sender one round trip.
    if (opts.inboxFull?.()) return reject(res, 503, 'inbox-full', 'SyncCanvas is catching up (its inbox is at its bound); retry later', { 'retry-after': String(INBOX_FULL_RETRY_S), connection: 'close' });
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return reject(res, 413, 'too-large', e.message, { connection: 'close' });
      throw e;
    }
    const now = Date.now();
    const sig = verifyPayload(opts.signature, opts.secret, req.headers, body, opts.toleranceMs, now);
    if (!sig.ok) {
      const outcome: Outcome = sig.reason === 'stale' ? 'stale' : sig.reason === 'mismatch' ? 'bad-signature' : 'unsigned';
      return reject(res, 401, outcome, sig.message);
    }
    let payload: unknown;
    try {
      // Lossless: an id beyond 2^53 or a long decimal stays its digits (docs/values.md).
      payload = parseLosslessJson(body.toString('utf8'));
    } catch (e) {
      return reject(res, 400, 'bad-json', `the body is not valid JSON (${(e as Error).message})`);
    }
    const fromHeader = deliveryHeader ? req.headers[deliveryHeader] : undefined;
    const pathId = opts.deliveryId.path ? getPath(payload, opts.deliveryId.path) : undefined;
    const rawId = (Array.isArray(fromHeader) ? fromHeader[0] : fromHeader) ?? (isExactDecimal(pathId) ? pathId.$dec : pathId);
    if ((typeof rawId !== 'string' && typeof rawId !== 'number') || String(rawId).length === 0 || String(rawId).length > 200) {
      const where = [opts.deliveryId.header && `the ${opts.deliveryId.header} header`, opts.deliveryId.path && `the body field "${opts.deliveryId.path}"`].filter(Boolean).join(' or ');
      return reject(res, 400, 'no-delivery-id', `every delivery needs a unique id (1–200 characters) in ${where}`);
    }
    const deliveryId = String(rawId);
    const result = changesFromPayload(payload, opts.routes, entities, deliveryId, opts.eventIdPrefix, now);
    if (result.kind === 'invalid') return reject(res, 422, 'invalid', result.message);
    const contentHash = createHash('sha256').update(body).digest('hex');
    const seen = replay.find(deliveryId, contentHash, now) ?? opts.deliveries?.find(deliveryId, contentHash, now) ?? null;
    if (seen?.by === 'id') {
      // The sender's own retry of a delivery whose 2xx was lost: the same body re-signed with a later
      // timestamp, which nobody without the secret can do. Acknowledge it and store nothing again.
      const retry = seen.contentHash === contentHash && sig.timestampMs !== null && seen.signedAtMs !== null && sig.timestampMs > seen.signedAtMs;
      if (retry && !replay.inFlight(deliveryId)) {
        return answer(res, 200, 'duplicate', result.kind === 'ignored' ? { ok: true, duplicate: true, ignored: result.reason } : { ok: true, duplicate: true, eventId: result.changes[0]!.eventId });
      }
      return reject(res, 409, 'replay', `delivery ${deliveryId} was already received; a new event needs a new delivery id`);
    }
    if (seen?.by === 'content') {
      return reject(res, 409, 'duplicate-body', `this exact body was already received as delivery ${seen.id}; a new event needs its own body, not a resent one under a new delivery id`);
    }
    // Remembered while a replay could pass the signature check: a timestamped signature until it is
    // stale, a body-only one (no time signed) for the replay window.
    const expiresAtMs = sig.timestampMs === null ? now + replayWindowMs : Math.max(now, sig.timestampMs) + opts.toleranceMs + 60_000;
    const delivery: SeenDelivery = { id: deliveryId, contentHash, signedAtMs: sig.timestampMs, expiresAtMs };
    replay.claim(delivery);
    try {
      await group.add([{ changes: result.kind === 'ignored' ? [] : result.changes, delivery }]);
    } catch (e) {
      // Not committed: forget the id so the sender's retry is taken.
      replay.release(deliveryId);
      opts.reportStatus?.({ webhook: 'commit-failed', message: (e as Error).message });
      return reject(res, 503, 'commit-failed', 'the event could not be stored; retry later', { 'retry-after': '1' });
    }
    // With a durable ledger the store now holds the delivery; memory keeps only what is in flight.
    if (opts.deliveries) replay.release(deliveryId);
    else replay.committed(deliveryId);
    if (result.kind === 'ignored') return answer(res, 200, 'ignored', { ok: true, ignored: result.reason });
    answer(res, 200, 'accepted', { ok: true, eventId: result.changes[0]!.eventId });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) reject(res, 400, 'invalid', `the request could not be read: ${(e as Error).message}`, { connection: 'close' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  opts.reportStatus?.({ webhook: 'listening', url: `http://${hostForUrl}:${addr.port}${opts.path}` });

  return {
    url: `http://${hostForUrl}:${addr.port}${opts.path}`,
    port: addr.port,
    stats,
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await group.drain();
      // In-flight requests have been answered; connections still open are idle keep-alives.
      setImmediate(() => server.closeAllConnections());
      await closed;
    },
  };
}
