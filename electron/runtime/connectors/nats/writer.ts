import { headers, type NatsConnection } from '@nats-io/transport-node';
import { syncError } from '../../../../shared/errors.js';
import { entityKeyField, type EntitySpec } from '../definitions/format.js';
import { envelopeOf } from '../queue/envelope.js';
import { keyToken } from '../queue/subject-token.js';
import type { WriteOp, WriteResult } from '../types.js';
import { NATS_REQUEST_TIMEOUT_MS, type NatsClient } from './client.js';
import type { NatsConfig } from './config.js';
import { classifyNatsError, classifyPubAck } from './errors.js';
import { PubAckInbox, type OutgoingMessage } from './pub-acks.js';
import { ensureStream, manager } from './stream-setup.js';

/** The header that tags our own publishes, so our capture of the same stream knows its echoes. */
export const ORIGIN_HEADER = 'SyncCanvas-Origin';

/**
 * Publishes each write as the envelope to `<prefix>.<entity>.<key>`, with `Nats-Msg-Id` = the
 * write's idempotency key: a re-send after a crash or a retry within the stream's duplicate window
 * is dropped by the server (the ack says `duplicate`), so the stream holds one message per change.
 * Ops go out in array order on one connection, pipelined with one wait for the whole call
 * (pub-acks.ts; the engine never puts two changes of one record in a call), and a write counts
 * only once the server's PubAck for it has come back. A server that cannot be reached
 * makes the whole call unavailable: the edge pauses, nothing goes to the DLQ.
 */
export class NatsWriter {
  private streamReady = false;
  /** The PubAck inbox of the connection in use (a new connection gets a new one). */
  private acks: { connection: NatsConnection; inbox: PubAckInbox } | null = null;

  constructor(
    private readonly client: NatsClient,
    private readonly config: NatsConfig,
  ) {}

  async write(entity: EntitySpec, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
    const keyField = entityKeyField(entity);
    const results: WriteResult[] = new Array(ops.length);
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
    if (this.acks?.connection !== nc || !this.acks.inbox.usable) {
      this.acks?.inbox.close();
      this.acks = { connection: nc, inbox: new PubAckInbox(nc) };
    }
    const maxPayload = nc.info?.max_payload ?? Infinity;
    const sent: { i: number; key: string; subject: string }[] = [];
    const messages: OutgoingMessage[] = [];
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
      h.set('Nats-Msg-Id', env.message.id);
      const subject = `${this.config.subjectPrefix}.${keyToken(entity.name)}.${keyToken(env.message.key)}`;
      sent.push({ i, key: env.message.key, subject });
      messages.push({ subject, body, headers: h });
    });
    const outcomes = await this.acks.inbox.publishAll(messages, NATS_REQUEST_TIMEOUT_MS);
    sent.forEach(({ i, key, subject }, k) => {
      const error = classifyPubAck(outcomes[k]!, `publishing ${entity.name} ${key} to ${subject}`);
      results[i] = error ? { ok: false, error } : { ok: true, key };
    });
    // A stream deleted meanwhile (no responders) is created again on the next attempt.
    if (results.some((r) => !r.ok && r.error.errorClass === 'unavailable')) this.streamReady = false;
    return results;
  }
}
