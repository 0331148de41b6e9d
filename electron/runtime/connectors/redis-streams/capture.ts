import type { CaptureContext, CaptureHandle, CapturedChange, RejectedMessage } from '../types.js';
import { readMessage, type MessageMapping } from '../queue/message-changes.js';
import { closeClient, opened, type RedisConnection } from './client.js';
import { streamKey, type RedisStreamsConfig } from './config.js';
import { ORIGIN_FIELD } from './writer.js';

/** How long one XREADGROUP blocks before the loop looks at stop again. */
const BLOCK_MS = 1000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;
/** The one consumer name of our group: a restarted run takes over its own pending entries. */
const CONSUMER = 'synccanvas';

export interface RedisCaptureOptions {
  /** A connection of its own: XREADGROUP blocks it. */
  client: RedisConnection;
  config: RedisStreamsConfig;
  systemId: string;
  group: string;
  entities: string[];
  mapping: MessageMapping;
  onChange?: (change: CapturedChange) => void;
}

type Entry = { id: string; message: Record<string, string> };
type StreamReply = { name: string; messages: Entry[] }[] | null;

/**
 * Reads `<keyPrefix>:<entity>` for each synced entity with our consumer group: first the entries
 * delivered to us before but never acknowledged (a run that died, in entry order), then new ones,
 * `batchSize` at a time. A batch is committed to the inbox (unreadable entries to the DLQ in the same
 * transaction), made durable, and only then XACKed. The entry id is the event id, so a redelivered
 * entry is dropped by the inbox. Each entity's stream is read in order, and the next read waits for
 * the commit (held back while the inbox is over its bound).
 */
export async function startRedisCapture(o: RedisCaptureOptions, cctx: CaptureContext): Promise<CaptureHandle> {
  let stopping = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) => new Promise<void>((r) => { const t = setTimeout(r, ms); wake = () => { clearTimeout(t); r(); }; });
  const onAbort = () => { stopping = true; wake?.(); };
  cctx.signal.addEventListener('abort', onAbort, { once: true });
  const keys = o.entities.map((e) => streamKey(o.config, e));

  const loop = async () => {
    let delay = RETRY_MIN_MS;
    while (!stopping) {
      try {
        const c = await opened(o.client);
        for (const key of keys) {
          try {
            await c.xGroupCreate(key, o.group, '0', { MKSTREAM: true });
          } catch (e) {
            if (!/BUSYGROUP/.test((e as Error).message)) throw e;
          }
        }
        cctx.reportAvailability?.(null);
        delay = RETRY_MIN_MS;
        // Pending first ("0": what was delivered to us and not acked), until none is left; then new entries (">").
        let backlog = true;
        while (!stopping) {
          const reply = (await c.xReadGroup(o.group, CONSUMER, keys.map((key) => ({ key, id: backlog ? '0' : '>' })), { COUNT: o.config.batchSize, ...(backlog ? {} : { BLOCK: BLOCK_MS }) })) as StreamReply;
          const batches = (reply ?? []).filter((s) => s.messages.length > 0);
          if (batches.length === 0) {
            backlog = false;
            continue;
          }
          await commit(c, batches);
        }
      } catch (e) {
        if (stopping) break;
        cctx.reportAvailability?.({ message: `Redis ${o.config.url} (${keys.join(', ')}): ${(e as Error).message}`, retryInMs: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  };

  const commit = async (c: RedisConnection, streams: { name: string; messages: Entry[] }[]) => {
    const now = Date.now();
    const changes: CapturedChange[] = [];
    const rejected: RejectedMessage[] = [];
    for (const s of streams) {
      for (const m of s.messages) {
        const eventId = `${o.systemId}:redis:${s.name}:${m.id}`;
        const body = m.message?.[o.config.bodyField];
        if (typeof body !== 'string') {
          rejected.push({ eventId, reason: `the entry has no "${o.config.bodyField}" field`, body: JSON.stringify(m.message ?? null).slice(0, 4000), broker: { stream: s.name, entryId: m.id, group: o.group }, receivedAt: now });
          continue;
        }
        const out = readMessage(Buffer.from(body, 'utf8'), eventId, { stream: s.name, entryId: m.id, group: o.group }, o.mapping, now, m.message[ORIGIN_FIELD] ?? null);
        if (out.kind === 'change') changes.push(out.change);
        else if (out.kind === 'rejected') rejected.push(out.rejected);
      }
    }
    await cctx.sink({ changes, checkpoint: streams.map((s) => `${s.name}@${s.messages[s.messages.length - 1]!.id}`).join(' '), ...(rejected.length ? { rejected } : {}) });
    await cctx.durable?.();
    for (const ch of changes) o.onChange?.(ch);
    // Only now may Redis forget them; a lost XACK means a redelivery, dropped as a duplicate.
    for (const s of streams) await c.xAck(s.name, o.group, s.messages.map((m) => m.id));
  };

  const running = loop();
  return {
    async stop() {
      stopping = true;
      wake?.();
      cctx.signal.removeEventListener('abort', onAbort);
      await running;
      await closeClient(o.client);
    },
  };
}
