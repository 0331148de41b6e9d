import { jetstream, type JsMsg } from '@nats-io/jetstream';
import type { CaptureContext, CaptureHandle, CapturedChange, RejectedMessage } from '../types.js';
import { readMessage, type MessageMapping } from '../queue/message-changes.js';
import type { NatsClient } from './client.js';
import { NATS_REQUEST_TIMEOUT_MS } from './client.js';
import type { NatsConfig } from './config.js';
import { ORIGIN_HEADER } from './writer.js';
import { ensureStream, resetConsumer, manager, sourceFilter } from './stream-setup.js';
import { PullBatches } from './pull-batches.js';

/** How long one pull waits for messages before it ends and the next one goes out. */
const FETCH_EXPIRES_MS = 1000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

export interface NatsCaptureOptions {
  client: NatsClient;
  config: NatsConfig;
  systemId: string;
  durable: string;
  mapping: MessageMapping;
  /** Each committed change (recent records for samples). */
  onChange?: (change: CapturedChange) => void;
}

/**
 * Pulls from our durable consumer, a batch at a time (pull-batches.ts: what has arrived, without
 * waiting for the pull to end): the batch is committed to the inbox (its unreadable messages to the
 * DLQ in the same transaction), made durable, and only then acked. At most one more pull is out
 * meanwhile, and the sink holds the commit back while the inbox is over its bound, so nothing piles
 * up in memory. A redelivery keeps its stream sequence, so its event id repeats and
 * the inbox drops it. Stream order is kept: a record's messages are committed in sequence order,
 * and after a restart or a lost connection reading starts again at the ack floor (resetConsumer).
 */
export async function startNatsCapture(o: NatsCaptureOptions, cctx: CaptureContext): Promise<CaptureHandle> {
  let stopping = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) => new Promise<void>((r) => { const t = setTimeout(r, ms); wake = () => { clearTimeout(t); r(); }; });
  let current: PullBatches | null = null;
  const onAbort = () => { stopping = true; wake?.(); current?.close(); };
  cctx.signal.addEventListener('abort', onAbort, { once: true });

  const loop = async () => {
    let delay = RETRY_MIN_MS;
    while (!stopping) {
      try {
        const nc = await o.client.connection();
        // A dropped connection may have lost deliveries the server counts as pending: read again from the ack floor.
        let reconnected = false;
        let batches = null as PullBatches | null;
        void (async () => {
          for await (const st of nc.status()) {
            if (st.type === 'disconnect' || st.type === 'reconnect') {
              reconnected = true;
              batches?.close();
              break;
            }
          }
        })().catch(() => {});
        const jsm = await manager(nc);
        const info = await ensureStream(jsm, o.config);
        await resetConsumer(jsm, o.config, o.durable);
        // A stream deleted and created again restarts its sequences: its creation time keeps event ids apart.
        const prefix = `${o.systemId}:nats:${o.config.stream}@${Date.parse(info.created)}:`;
        const consumer = await jetstream(nc, { timeout: NATS_REQUEST_TIMEOUT_MS }).consumers.get(o.config.stream, o.durable);
        cctx.reportAvailability?.(null);
        delay = RETRY_MIN_MS;
        batches = current = new PullBatches(consumer, o.config.batchSize, FETCH_EXPIRES_MS);
        if (reconnected || stopping) batches.close();
        try {
          while (!stopping && !reconnected) {
            const got = await batches.next();
            if (got.length > 0) await commit(got, prefix);
          }
        } finally {
          batches.close();
        }
        if (reconnected) cctx.reportAvailability?.(null);
      } catch (e) {
        if (stopping) break;
        const message = `NATS ${o.config.servers} (stream ${o.config.stream}, ${sourceFilter(o.config)}): ${(e as Error).message}`;
        cctx.reportAvailability?.({ message, retryInMs: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  };

  const commit = async (msgs: JsMsg[], prefix: string) => {
    const now = Date.now();
    const changes: CapturedChange[] = [];
    const rejected: RejectedMessage[] = [];
    for (const m of msgs) {
      const broker = { subject: m.subject, stream: o.config.stream, sequence: m.seq, deliveries: m.info.deliveryCount, msgId: m.headers?.get('Nats-Msg-Id') || undefined };
      const out = readMessage(m.data, prefix + m.seq, broker, o.mapping, now, m.headers?.get(ORIGIN_HEADER) || null);
      if (out.kind === 'change') changes.push(out.change);
      else if (out.kind === 'rejected') rejected.push(out.rejected);
    }
    const last = msgs[msgs.length - 1]!;
    await cctx.sink({ changes, checkpoint: `${o.config.stream}:${last.seq}`, ...(rejected.length ? { rejected } : {}) });
    await cctx.durable?.();
    for (const c of changes) o.onChange?.(c);
    // Only now may the server forget them; a lost ack means a redelivery, dropped as a duplicate.
    for (const m of msgs) m.ack();
  };

  const running = loop();
  return {
    async stop() {
      stopping = true;
      wake?.();
      current?.close();
      cctx.signal.removeEventListener('abort', onAbort);
      await running;
    },
  };
}
