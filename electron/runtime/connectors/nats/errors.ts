import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { syncError, type SyncError } from '../../../../shared/errors.js';
import type { PubAckOutcome } from './pub-acks.js';

/** JetStream API codes that are about one message, not the server: no retry or outage helps. */
const RECORD_CODES = new Set([
  10054, // message size exceeds maximum allowed
]);

/**
 * What a failed publish means. A NATS server that cannot be reached, times out, has no stream
 * listening on the subject (no responders) or refuses work (storage full, not leader) is
 * *unavailable*: the edge pauses and probes, nothing goes to the DLQ. Only a message the server
 * refuses for itself (too large) is a record-level error.
 */
export function classifyNatsError(e: unknown, what: string): SyncError {
  const message = (e as Error)?.message ?? String(e);
  if (e instanceof JetStreamApiError && RECORD_CODES.has(e.code)) return syncError('permanent', `${what}: ${message}`);
  if (e instanceof natsErrors.InvalidArgumentError || /max_payload|maximum payload/i.test(message)) return syncError('permanent', `${what}: ${message}`);
  if (e instanceof natsErrors.NoRespondersError || /no responders/i.test(message)) {
    return syncError('unavailable', `${what}: no JetStream stream takes this subject (is JetStream on, does the stream exist?)`);
  }
  return syncError('unavailable', `${what}: ${message}`, { retryAfterMs: 1000 });
}

/** What a publish's PubAck (pub-acks.ts) means, by the same rules; null when it was stored. */
export function classifyPubAck(outcome: PubAckOutcome, what: string): SyncError | null {
  switch (outcome.kind) {
    case 'stored':
      return null;
    case 'refused':
      return RECORD_CODES.has(outcome.errCode)
        ? syncError('permanent', `${what}: ${outcome.description}`)
        : syncError('unavailable', `${what}: ${outcome.description}`, { retryAfterMs: 1000 });
    case 'no-stream':
      return syncError('unavailable', `${what}: no JetStream stream takes this subject (is JetStream on, does the stream exist?)`);
    case 'unsent':
      return classifyNatsError(outcome.error, what);
    case 'unanswered':
      return syncError('unavailable', `${what}: ${outcome.reason}`, { retryAfterMs: 1000 });
  }
}
