import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { syncError } from '../../../../shared/errors.js';
import { entityKeyField, type EntitySpec } from '../definitions/format.js';
import { envelopeOf } from '../queue/envelope.js';
import { keyToken } from '../queue/subject-token.js';
import type { WriteOp, WriteResult } from '../types.js';
import { NATS_REQUEST_TIMEOUT_MS, type NatsClient } from './client.js';
import type { NatsConfig } from './config.js';
import { classifyNatsError } from './errors.js';
import { ensureStream, manager } from './stream-setup.js';

/** The header that tags our own publishes, so our capture of the same stream knows its echoes. */
export const ORIGIN_HEADER = 'SyncCanvas-Origin';

/**
 * Publishes each write as the envelope to `<prefix>.<entity>.<key>`, with `Nats-Msg-Id` = the
 * write's idempotency key: a re-send after a crash or a retry within the stream's duplicate window
 * is dropped by the server (the ack says `duplicate`), so the stream holds one message per change.
 * Ops go out in array order on one connection (the engine never puts two changes of one record in
 * a call), and a write counts only once the server has acked it. A server that cannot be reached
 * makes the whole call unavailable: the edge pauses, nothing goes to the DLQ.
 */
export class NatsWriter {
  private streamReady = false;

  constructor(
    private readonly client: NatsClient,
    private readonly config: NatsConfig,
  ) {}

  async write(entity: EntitySpec, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
    const keyField = entityKeyField(entity);
    const results: WriteResult[] = new Array(ops.length);
    const pending: Promise<void>[] = [];
    let nc;
    try {
      nc = await this.client.connection();
      if (!this.streamReady) {
        await ensureStream(await manager(nc), this.config);
        this.streamReady = true;
      }
    } catch (e) {
      const error = classifyNatsError(e, `NATS ${this.config.servers}`);
      return ops.map(() => ({ ok: false, error }));
    }
    const js = jetstream(nc, { timeout: NATS_REQUEST_TIMEOUT_MS });
    const maxPayload = nc.info?.max_payload ?? Infinity;
    ops.forEach((op, i) => {
      const env = envelopeOf(entity.name, keyField, op, origin);
      if (!env.ok) {
        results[i] = { ok: false, error: env.error };
        return;
      }
      const body = Buffer.from(env.message.body, 'utf8');
      if (body.length > maxPayload) {
        results[i] = { ok: false, error: syncError('permanent', `the ${entity.name} ${env.message.key} message is ${body.length} bytes; the server takes at most ${maxPayload} (max_payload)`) };
        return;
      }
      const h = headers();
      h.set(ORIGIN_HEADER, origin);
      const subject = `${this.config.subjectPrefix}.${keyToken(entity.name)}.${keyToken(env.message.key)}`;
      pending.push(
        js.publish(subject, body, { msgID: env.message.id, headers: h, timeout: NATS_REQUEST_TIMEOUT_MS }).then(
          () => void (results[i] = { ok: true, key: env.message.key }),
          (e) => void (results[i] = { ok: false, error: classifyNatsError(e, `publishing ${entity.name} ${env.message.key} to ${subject}`) }),
        ),
      );
    });
    await Promise.all(pending);
    // A stream deleted meanwhile (no responders) is created again on the next attempt.
    if (results.some((r) => !r.ok && r.error.errorClass === 'unavailable')) this.streamReady = false;
    return results;
  }
}
