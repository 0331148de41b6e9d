import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';

/**
 * How long a pull that has delivered some messages is given for more before they are handed out.
 * A JetStream pull ends only when its batch is full or it expires: waiting for its end held a
 * message that came alone for up to the whole expiry (a second) before its commit.
 */
const LINGER_MS = 5;

/**
 * Batches of a durable pull consumer, in stream order: up to `batchSize` messages as soon as some
 * have arrived (and no more came within LINGER_MS), without waiting for the pull to end. The next
 * pull goes out once the current one has ended and all it brought was handed out, so it overlaps
 * the caller's commit of the last batch: at most two batches are unacknowledged, and while the
 * caller does not ask for more (its commit waits for room in the inbox) nothing more is pulled.
 */
export class PullBatches {
  private readonly buffered: JsMsg[] = [];
  private pulling: Promise<void> | null = null;
  private current: ConsumerMessages | null = null;
  private failed: Error | null = null;
  private closed = false;
  private poke: (() => void) | null = null;
  private lastArrival = 0;

  constructor(
    private readonly consumer: Consumer,
    private readonly batchSize: number,
    private readonly expiresMs: number,
  ) {}

  /** The next batch; [] once closed. A pull that failed (consumer gone, connection lost) throws here. */
  async next(): Promise<JsMsg[]> {
    while (this.buffered.length === 0) {
      if (this.failed) throw this.failed;
      if (this.closed) return [];
      if (!this.pulling) this.pull();
      await this.changed();
    }
    // More of this pull may be on the way: take them while they keep coming (one timer per linger, not per message).
    while (this.buffered.length < this.batchSize && this.pulling && !this.closed) {
      const quiet = performance.now() - this.lastArrival;
      if (quiet >= LINGER_MS) break;
      await this.changed(LINGER_MS - quiet);
    }
    const batch = this.buffered.splice(0, this.batchSize);
    if (this.buffered.length === 0 && !this.pulling && !this.closed) this.pull();
    return batch;
  }

  /** Stop pulling; a waiting next() returns []. Messages not handed out are never acked (they come back). */
  close(): void {
    this.closed = true;
    this.current?.stop();
    this.wake();
  }

  private pull(): void {
    this.pulling = (async () => {
      const messages = await this.consumer.fetch({ max_messages: this.batchSize, expires: this.expiresMs });
      this.current = messages;
      if (this.closed) messages.stop();
      for await (const m of messages) {
        this.buffered.push(m);
        this.lastArrival = performance.now();
        // A waiter wants the first message, or a full batch; the linger looks at lastArrival itself.
        if (this.buffered.length === 1 || this.buffered.length >= this.batchSize) this.wake();
      }
    })()
      .catch((e: unknown) => void (this.failed = e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        this.pulling = null;
        this.current = null;
        this.wake();
      });
  }

  /** Resolves at the first message, a full batch, the end of a pull or close (or after `ms`). */
  private changed(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.poke = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private wake(): void {
    const poke = this.poke;
    this.poke = null;
    poke?.();
  }
}
