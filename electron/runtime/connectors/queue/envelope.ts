import { syncError, type SyncError } from '../../../../shared/errors.js';
import { NotJsonError, stringifyLossless } from '../../values/lossless-json.js';
import { showValue } from '../../values/exact.js';
import type { WriteOp } from '../types.js';

function jsonExact(v: unknown): boolean {
  try {
    stringifyLossless(v);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a queue sink publishes for each write: `{ id, entity, op, record, occurredAt, source }`.
 * `id` is the write's idempotency key (stable across retries, replays and a restart after a crash),
 * so the broker's own deduplication (Nats-Msg-Id, AMQP message-id, the Redis guard) and any
 * consumer can drop a re-send. `record` always holds the key field; values keep their exact form
 * (big integers and long decimals as JSON numbers with every digit).
 */
export interface EnvelopeMessage {
  id: string;
  key: string;
  /** The envelope as JSON text. */
  body: string;
}

export function envelopeOf(entity: string, keyField: string, op: WriteOp, source: string): { ok: true; message: EnvelopeMessage } | { ok: false; error: SyncError } {
  let key: string | null;
  let record: Record<string, unknown>;
  if (op.kind === 'delete') {
    key = op.key;
    record = { [keyField]: op.key };
  } else {
    const own = op.fields[keyField] ?? op.insertOnly?.[keyField];
    key = op.key ?? (own !== undefined && own !== null ? String(own) : op.match ? String(op.match.value) : null);
    if (key === null || key === '') return { ok: false, error: syncError('validation', `the record has no "${keyField}" (the key of ${entity} on the queue): map a field to it`) };
    record = { ...op.insertOnly, ...op.fields, [keyField]: own ?? key };
  }
  try {
    const body = stringifyLossless({ id: op.idempotencyKey, entity, op: op.kind, record, occurredAt: new Date(op.sourceTime).toISOString(), source });
    return { ok: true, message: { id: op.idempotencyKey, key, body } };
  } catch (e) {
    if (!(e instanceof NotJsonError)) throw e;
    const bad = Object.entries(record).find(([, v]) => !jsonExact(v));
    const what = bad ? `field "${bad[0]}" (value ${showValue(bad[1])})` : 'a value';
    return { ok: false, error: syncError('validation', `${what} of ${entity} ${key} has no exact JSON form: ${e.message}; map it to a text field or fix the value`) };
  }
}
