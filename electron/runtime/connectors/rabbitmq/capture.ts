import { createHash } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { CaptureContext, CaptureHandle, CapturedChange, RejectedMessage } from '../types.js';
import { readMessage, type MessageMapping } from '../queue/message-changes.js';
import type { AmqpClient } from './client.js';
import type { RabbitMqConfig } from './config.js';
import { declareTopology } from './topology.js';
import { ORIGIN_HEADER } from './writer.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;
/** AMQP's prefetch count is a 16-bit number. */
const MAX_PREFETCH = 65_535;

export interface RabbitCaptureOptions {
  client: AmqpClient;
  config: RabbitMqConfig;
  systemId: string;
  queue: string;
  entities: string[];
  mapping: MessageMapping;
  onChange?: (change: CapturedChange) => void;
}

/** The message's id for dedupe: its AMQP message-id, else a hash of its body. */
function messageKey(m: ConsumeMessage): string {
  const id = m.properties.messageId as unknown;
  if (typeof id === 'string' && id !== '') return `id:${id}`;
  return `sha256:${createHash('sha256').update(m.content).digest('hex')}`;
}

/**
 * Consumes the queue with manual acks and a prefetch of two batches: the broker sends no more than
 * that many unacknowledged messages, so while a commit waits (for the disk, or for room in the
 * inbox) at most one more batch arrives, and it is a full one (with a prefetch of one batch, the
 * window split into two halves that took turns, each committed on its own). Up to `batchSize` of
 * what has arrived is committed in delivery order in one batch (unreadable messages to the DLQ in
 * the same transaction), made durable, and only then acked, up to its last message. A
 * message not acked when the channel or the run dies is requeued at its place by the broker and
 * comes back with the same message-id (or body), so its event id repeats and the inbox drops it.
 */
export async function startRabbitCapture(o: RabbitCaptureOptions, cctx: CaptureContext): Promise<CaptureHandle> {
  let stopping = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) => new Promise<void>((r) => { const t = setTimeout(r, ms); wake = () => { clearTimeout(t); r(); }; });
  const onAbort = () => { stopping = true; wake?.(); };
  cctx.signal.addEventListener('abort', onAbort, { once: true });
  let current: Channel | null = null;

  const loop = async () => {
    let delay = RETRY_MIN_MS;
    while (!stopping) {
      try {
        const ch = await (await o.client.connection()).createChannel();
        current = ch;
        let closed: Error | null = null;
        let signal: (() => void) | null = null;
        ch.on('error', (e: Error) => (closed = e));
        ch.on('close', () => {
          closed ??= new Error('the channel closed');
          signal?.();
        });
        await declareTopology(ch, o.config, o.queue, o.entities);
        await ch.prefetch(Math.min(2 * o.config.batchSize, MAX_PREFETCH));
        const buffer: ConsumeMessage[] = [];
        await ch.consume(o.queue, (m) => {
          if (m) buffer.push(m);
          else closed ??= new Error(`the queue ${o.queue} was deleted`);
          signal?.();
        }, { noAck: false });
        cctx.reportAvailability?.(null);
        delay = RETRY_MIN_MS;
        while (!stopping && !closed) {
          if (buffer.length === 0) {
            await new Promise<void>((r) => { signal = r; wake = r; });
            signal = null;
            continue;
          }
          const batch = buffer.splice(0, o.config.batchSize);
          await commit(ch, batch);
        }
        if (closed && !stopping) throw closed;
        await ch.close().catch(() => {});
      } catch (e) {
        if (stopping) break;
        cctx.reportAvailability?.({ message: `RabbitMQ ${o.config.url} (queue ${o.queue}): ${(e as Error).message}`, retryInMs: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  };

  const commit = async (ch: Channel, msgs: ConsumeMessage[]) => {
    const now = Date.now();
    const changes: CapturedChange[] = [];
    const rejected: RejectedMessage[] = [];
    for (const m of msgs) {
      const eventId = `${o.systemId}:amqp:${o.queue}:${messageKey(m)}`;
      const broker = { queue: o.queue, exchange: m.fields.exchange, routingKey: m.fields.routingKey, messageId: m.properties.messageId, redelivered: m.fields.redelivered };
      const origin = m.properties.headers?.[ORIGIN_HEADER];
      const out = readMessage(m.content, eventId, broker, o.mapping, now, typeof origin === 'string' ? origin : null);
      if (out.kind === 'change') changes.push(out.change);
      else if (out.kind === 'rejected') rejected.push(out.rejected);
    }
    await cctx.sink({ changes, checkpoint: null, ...(rejected.length ? { rejected } : {}) });
    await cctx.durable?.();
    for (const c of changes) o.onChange?.(c);
    // One ack for the whole batch (every delivery up to its last, none of the next batch's); a lost ack means redelivery, dropped as a duplicate.
    ch.ack(msgs[msgs.length - 1]!, true);
  };

  const running = loop();
  return {
    async stop() {
      stopping = true;
      wake?.();
      cctx.signal.removeEventListener('abort', onAbort);
      await running;
      await current?.close().catch(() => {});
    },
  };
}
