import type { ConfirmChannel } from 'amqplib';
import { syncError } from '../../../../shared/errors.js';
import { entityKeyField, type EntitySpec } from '../definitions/format.js';
import { envelopeOf } from '../queue/envelope.js';
import { keyToken } from '../queue/subject-token.js';
import type { WriteOp, WriteResult } from '../types.js';
import type { AmqpClient } from './client.js';
import type { RabbitMqConfig } from './config.js';
import { declareTopology } from './topology.js';

/** The header that tags our own publishes, so a flow reading them back knows its echoes. */
export const ORIGIN_HEADER = 'SyncCanvas-Origin';

/**
 * Publishes each write's envelope, persistent, on a confirm channel, with `message-id` = the write's
 * idempotency key; a write counts once the broker has confirmed it. RabbitMQ itself keeps no memory
 * of ids, so a re-send after a crash is a second message with the same message-id, which any
 * consumer (our source included) drops as a duplicate. Publishes of one call go out in order on one
 * channel. A broker that cannot be reached, or that closes the channel, makes the call unavailable.
 */
export class RabbitMqWriter {
  private channel: Promise<ConfirmChannel> | null = null;

  constructor(
    private readonly client: AmqpClient,
    private readonly config: RabbitMqConfig,
  ) {}

  private open(): Promise<ConfirmChannel> {
    if (!this.channel) {
      const attempt = (async () => {
        const ch = await (await this.client.connection()).createConfirmChannel();
        ch.on('error', () => {});
        ch.on('close', () => {
          if (this.channel === attempt) this.channel = null;
        });
        await declareTopology(ch, this.config, null, []);
        return ch;
      })();
      this.channel = attempt;
      attempt.catch(() => {
        if (this.channel === attempt) this.channel = null;
      });
    }
    return this.channel;
  }

  async write(entity: EntitySpec, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
    const keyField = entityKeyField(entity);
    const results: WriteResult[] = new Array(ops.length);
    let ch: ConfirmChannel;
    try {
      ch = await this.open();
    } catch (e) {
      const error = syncError('unavailable', `RabbitMQ ${this.config.url}: ${(e as Error).message}`, { retryAfterMs: 1000 });
      return ops.map(() => ({ ok: false, error }));
    }
    const confirms: Promise<void>[] = [];
    ops.forEach((op, i) => {
      const env = envelopeOf(entity.name, keyField, op, origin);
      if (!env.ok) {
        results[i] = { ok: false, error: env.error };
        return;
      }
      const routingKey = `${keyToken(entity.name)}.${keyToken(env.message.key)}`;
      confirms.push(
        new Promise<void>((resolve) => {
          const done = (err: unknown) => {
            results[i] = err
              ? { ok: false, error: syncError('unavailable', `publishing ${entity.name} ${env.message.key} to ${this.config.exchange}: ${(err as Error)?.message ?? 'not confirmed'}`, { retryAfterMs: 1000 }) }
              : { ok: true, key: env.message.key };
            resolve();
          };
          try {
            ch.publish(this.config.exchange, routingKey, Buffer.from(env.message.body, 'utf8'), { messageId: env.message.id, persistent: true, contentType: 'application/json', headers: { [ORIGIN_HEADER]: origin } }, done);
          } catch (e) {
            done(e);
          }
        }),
      );
    });
    // A channel that closes mid-way never calls back: bound the wait, and count the unconfirmed as unavailable.
    await Promise.race([Promise.all(confirms), new Promise((r) => setTimeout(r, 10_000).unref())]);
    for (let i = 0; i < ops.length; i++) {
      results[i] ??= { ok: false, error: syncError('unavailable', `RabbitMQ did not confirm the publish of ${entity.name} in time`, { retryAfterMs: 1000 }) };
    }
    return results;
  }
}
