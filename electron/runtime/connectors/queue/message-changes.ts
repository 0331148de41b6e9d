import { parseLosslessJson } from '../../values/lossless-json.js';
import type { EntitySpec, WebhookRoute } from '../definitions/format.js';
import { changesFromPayload } from '../webhook/payload-changes.js';
import type { CapturedChange, RejectedMessage } from '../types.js';

/** Longest body kept with an unreadable message in the DLQ. */
const BODY_SNIPPET = 4000;

export type MessageOutcome = { kind: 'change'; change: CapturedChange } | { kind: 'ignored'; reason: string } | { kind: 'rejected'; rejected: RejectedMessage };

export interface MessageMapping {
  routes: readonly WebhookRoute[];
  entities: ReadonlyMap<string, EntitySpec>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One queue message → the change it carries, read with the webhook routes and the lossless JSON
 * parser (integers beyond 2^53 and long decimals keep every digit). `eventId` is fixed by the broker
 * (stream sequence, entry id, message-id), so a redelivery is the same event and is dropped as a
 * duplicate. `origin` is the tag a SyncCanvas publisher put on the message: our own write coming back.
 */
export function readMessage(body: Uint8Array, eventId: string, broker: Record<string, unknown>, mapping: MessageMapping, receivedAt: number, origin: string | null): MessageOutcome {
  const reject = (reason: string, text: string, entity?: string): MessageOutcome => ({
    kind: 'rejected',
    rejected: { eventId, reason, body: text.slice(0, BODY_SNIPPET), broker, receivedAt, ...(entity ? { entity } : {}) },
  });
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return reject('the body is not UTF-8 text', Buffer.from(body.subarray(0, BODY_SNIPPET / 2)).toString('hex'));
  }
  let payload: unknown;
  try {
    payload = parseLosslessJson(text);
  } catch (e) {
    if (e instanceof SyntaxError) return reject(`the body is not JSON (${e.message})`, text);
    throw e;
  }
  // The id the route's eventId would get is ours, not the payload's: a message is one event.
  const result = changesFromPayload(payload, mapping.routes, mapping.entities, '', eventId, receivedAt);
  if (result.kind === 'ignored') return result;
  if (result.kind === 'invalid') {
    const named = mapping.routes.map((r) => r.entity).find((e) => e && mapping.entities.has(e));
    return reject(result.message, text, named);
  }
  const change = result.changes[0]!;
  if (origin) change.origin = origin;
  return { kind: 'change', change };
}
