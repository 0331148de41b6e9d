import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** One message of a pipelined batch: the stream's subject, the body and its headers (Nats-Msg-Id among them). */
export interface OutgoingMessage {
  subject: string;
  body: Uint8Array;
  headers: MsgHdrs;
}

/** What the server said about one publish. */
export type PubAckOutcome =
  | { kind: 'stored'; duplicate: boolean }
  /** JetStream refused it: the API error (err_code says why, e.g. 10054 too large). */
  | { kind: 'refused'; errCode: number; description: string }
  /** No stream listens on the subject (the server's 503 status). */
  | { kind: 'no-stream' }
  /** The client refused to send it (connection closed, larger than max_payload with its headers). */
  | { kind: 'unsent'; error: unknown }
  /** No answer within the wait. */
  | { kind: 'unanswered'; reason: string };

const text = new TextDecoder();

/**
 * JetStream publishes sent back to back on one connection, each with a reply subject of its own
 * under one inbox subscription, and one wait for the whole batch. A publish is only *stored* once
 * the server's PubAck names it, exactly as with `js.publish`; what this saves is the library's
 * per-publish request machinery (a timer, a stack-capturing error and a promise each), which cost
 * more than the publish itself (about 3× on a 1,000-message batch). The server stores a
 * connection's messages in the order they were sent, so a batch keeps its order.
 */
export class PubAckInbox {
  private readonly prefix: string;
  private readonly waiting = new Map<string, (outcome: PubAckOutcome) => void>();
  private readonly sub: Subscription;
  private next = 0;
  private failed: string | null = null;

  constructor(private readonly nc: NatsConnection) {
    // Our client keeps the default inbox prefix (`_INBOX`), which the server's permissions expect for replies.
    this.prefix = createInbox();
    this.sub = nc.subscribe(`${this.prefix}.*`, {
      callback: (err, m) => {
        if (err) {
          // The subscription is gone (permissions, closed): nothing more will answer here.
          this.failed = err.message;
          for (const settle of this.waiting.values()) settle({ kind: 'unanswered', reason: err.message });
          this.waiting.clear();
          return;
        }
        const settle = this.waiting.get(m.subject.slice(this.prefix.length + 1));
        if (!settle) return; // a late answer to a batch that gave up waiting
        this.waiting.delete(m.subject.slice(this.prefix.length + 1));
        settle(readPubAck(m.data, m.headers));
      },
    });
  }

  /** False once the subscription or the connection is gone: make a new inbox on the next connection. */
  get usable(): boolean {
    return this.failed === null && !this.sub.isClosed() && !this.nc.isClosed();
  }

  /** Publishes every message, in order, then waits (at most `timeoutMs` in all) for each one's PubAck. */
  async publishAll(messages: readonly OutgoingMessage[], timeoutMs: number): Promise<PubAckOutcome[]> {
    const outcomes: (PubAckOutcome | undefined)[] = new Array(messages.length);
    const tokens: string[] = [];
    let left = messages.length;
    let allAnswered: () => void = () => {};
    const answered = new Promise<void>((resolve) => (allAnswered = resolve));
    const settleAt = (i: number) => (outcome: PubAckOutcome) => {
      outcomes[i] = outcome;
      if (--left === 0) allAnswered();
    };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const token = String(this.next++);
      tokens.push(token);
      this.waiting.set(token, settleAt(i));
      try {
        this.nc.publish(m.subject, m.body, { headers: m.headers, reply: `${this.prefix}.${token}` });
      } catch (e) {
        this.waiting.delete(token);
        settleAt(i)({ kind: 'unsent', error: e });
      }
    }
    let timer: NodeJS.Timeout | undefined;
    if (left > 0) {
      await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    for (const t of tokens) this.waiting.delete(t);
    return Array.from(outcomes, (o) => o ?? { kind: 'unanswered', reason: `no PubAck within ${timeoutMs} ms` });
  }

  close(): void {
    if (!this.sub.isClosed()) this.sub.unsubscribe();
  }
}

/** A PubAck body (`{"stream","seq","duplicate"}` or `{"error":{…}}`), or the server's no-responders status. */
export function readPubAck(data: Uint8Array, headers: MsgHdrs | undefined): PubAckOutcome {
  if (headers?.hasError && headers.code === 503) return { kind: 'no-stream' };
  let v: { stream?: string; duplicate?: boolean; error?: { err_code?: number; code?: number; description?: string } };
  try {
    v = JSON.parse(text.decode(data)) as typeof v;
  } catch {
    return { kind: 'unanswered', reason: `the server answered a publish with ${headers?.hasError ? `status ${headers.code} ${headers.description}` : 'something that is not a PubAck'}` };
  }
  if (v.error) return { kind: 'refused', errCode: v.error.err_code ?? v.error.code ?? 0, description: v.error.description ?? 'refused' };
  if (!v.stream) return { kind: 'unanswered', reason: 'the server answered a publish with an empty PubAck' };
  return { kind: 'stored', duplicate: v.duplicate === true };
}
