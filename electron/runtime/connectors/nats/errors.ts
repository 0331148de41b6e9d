import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { syncError, type SyncError } from '../../../../shared/errors.js';

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
