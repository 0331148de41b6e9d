import pg from 'pg';
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import type { CapturedBatch, CaptureContext } from '../types.js';
import type { TableInfo } from './catalog.js';
import { ChangeDecoder, type DecodedSegment } from './change-decoder.js';
import { readSlotStatus } from './capture-resources.js';
import { clientConfig, type PostgresConfig } from './config.js';
import { describePgError, isUnavailablePgError } from './errors.js';
import { compareLsn, formatLsn, parseLsn } from './lsn.js';
import type { CaptureResourceNames } from './names.js';
import { StreamPlugin } from './pgoutput-stream.js';
import type { ArrayElementTypes } from './type-mapping.js';

export interface SlotStreamOptions {
  config: PostgresConfig;
  password: string | undefined;
  systemId: string;
  names: CaptureResourceNames;
  tables: TableInfo[];
  arrays: ArrayElementTypes;
  skipOriginChanges: boolean;
  /** A connection for status queries, owned (and closed) by the stream; replaced if it drops. */
  control: pg.Client;
  ctx: CaptureContext;
  /** Notices to hand over with the first batch (e.g. a slot that had to be recreated). */
  notices: string[];
}

/** Changes per decoded segment: a transaction larger than this is committed in parts. */
const MAX_BATCH_CHANGES = 5_000;
/**
 * Transactions are gathered into one inbox commit up to this many changes. A commit holds the event
 * loop, apply included, while it runs (1,000 wide changes: 100–300 ms); capture that waits for apply
 * (flow-capture.ts) then commits about one apply batch at a time, while apply waits for its target.
 */
const GATHER_CHANGES = 1_000;
/**
 * Stop reading the socket while this many decoded changes wait for the inbox (two full batches):
 * wide rows hold their values in memory until committed, and capture waits for apply when it runs
 * ahead (flow-capture.ts), so reading further only takes memory and the apply loop's CPU.
 */
const PAUSE_AT_CHANGES = 2 * MAX_BATCH_CHANGES;
const ACK_INTERVAL_MS = 1_000;
const FORCED_ACK_INTERVAL_MS = 10_000;
const STATUS_INTERVAL_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

type SocketStream = { pause(): void; resume(): void };

/**
 * Streams a replication slot into the capture sink. The slot is confirmed (flush LSN) only up to
 * what the sink has committed, so a crash or a failed sink makes the server send the rest again;
 * a restart starts from the stored checkpoint (a commit end LSN), before which the server skips.
 */
export class SlotStream {
  private service: LogicalReplicationService | null = null;
  private readonly decoder: ChangeDecoder;
  private queue: DecodedSegment[] = [];
  private queuedChanges = 0;
  private flushing: Promise<void> | null = null;
  private kickScheduled = false;
  /** The last checkpoint the inbox committed. */
  private committedLsn: string;
  /** A keepalive position known to be safe to confirm (nothing open, nothing queued). */
  private idleLsn: string;
  private sentLsn = '';
  private lastSentAt = 0;
  private generation = 0;
  private restarting = false;
  private stopping = false;
  private paused = false;
  private backoffMs = 200;
  private notices: string[];
  private lastError: string | null = null;
  private phase: 'streaming' | 'reconnecting' | 'stopped' = 'streaming';
  private readonly timers: NodeJS.Timeout[] = [];
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private readonly onAbort = () => void this.stop();
  private stopped: Promise<void> | null = null;
  private control: pg.Client | null;

  constructor(private readonly opts: SlotStreamOptions, startLsn: string) {
    this.committedLsn = startLsn;
    this.idleLsn = startLsn;
    this.control = this.watch(opts.control);
    this.notices = [...opts.notices];
    this.decoder = new ChangeDecoder({
      systemId: opts.systemId,
      tables: opts.tables,
      versionColumn: opts.config.versionColumn,
      maxSegmentChanges: MAX_BATCH_CHANGES,
      resumeLsn: startLsn,
    });
  }

  start(): void {
    this.timers.push(setInterval(() => this.sendAck(false), ACK_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.reportStatus(), STATUS_INTERVAL_MS));
    for (const t of this.timers) t.unref();
    this.opts.ctx.signal.addEventListener('abort', this.onAbort, { once: true });
    this.connect();
    void this.reportStatus();
    // Notices with no changes still have to reach the inbox.
    if (this.notices.length > 0) this.kick();
  }

  private connect(): void {
    const gen = this.generation;
    const service = new LogicalReplicationService(clientConfig(this.opts.config, this.opts.password), {
      // A positive timeout would make the library confirm the last *received* position.
      acknowledge: { auto: false, timeoutSeconds: 0 },
    });
    this.service = service;
    const plugin = new StreamPlugin({ publication: this.opts.names.publication, arrays: this.opts.arrays, skipOriginChanges: this.opts.skipOriginChanges });
    service.on('data', (_lsn: string, msg: Pgoutput.Message) => {
      if (gen !== this.generation) return;
      try {
        this.onMessage(msg);
      } catch (err) {
        void this.restart(err);
      }
    });
    service.on('heartbeat', (lsn: string, _time: number, shouldRespond: boolean) => {
      if (gen !== this.generation) return;
      this.onKeepalive(lsn, shouldRespond);
    });
    service.on('error', (err: Error) => {
      if (gen === this.generation) void this.restart(err);
    });
    service.on('start', () => {
      if (gen !== this.generation) return;
      this.phase = 'streaming';
      this.lastError = null;
      this.opts.ctx.reportAvailability?.(null);
    });
    service.subscribe(plugin, this.opts.names.slot, this.committedLsn).then(
      () => {
        if (gen === this.generation && !this.stopping) void this.restart(new Error('the replication stream ended'));
      },
      (err: unknown) => {
        if (gen === this.generation && !this.stopping) void this.restart(err);
      },
    );
  }

  private onMessage(msg: Pgoutput.Message): void {
    const segments = this.decoder.push(msg);
    if (segments.length === 0) return;
    for (const s of segments) {
      if (s.changes.length === 0 && s.notices.length === 0) {
        // Nothing of ours in this transaction (e.g. only other tables): fold it into the queue's
        // resume point, or confirm it directly when nothing is pending.
        if (this.queue.length === 0 && !this.flushing) {
          this.idleLsn = s.checkpoint;
          continue;
        }
      }
      this.queue.push(s);
      this.queuedChanges += s.changes.length;
    }
    if (this.queuedChanges >= PAUSE_AT_CHANGES) this.setPaused(true);
    this.kickSoon();
  }

  /**
   * Flush after the socket reads of this event-loop turn: one socket read holds a few changes of a
   * backlog (single-row transactions of wide rows: 3–10 per 64 KB), and flushing at the first
   * commit would make each of them an inbox transaction of its own; a turn reads up to 32 of them.
   */
  private kickSoon(): void {
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      this.kick();
    });
  }

  private onKeepalive(lsn: string, shouldRespond: boolean): void {
    if (!this.decoder.inTransaction && this.queue.length === 0 && !this.flushing && lsn !== '0/0') {
      if (compareLsn(lsn, this.idleLsn) > 0) this.idleLsn = lsn;
    }
    if (shouldRespond) this.sendAck(true);
  }

  private kick(): void {
    if (this.flushing || this.stopping || this.restarting) return;
    if (this.queue.length === 0 && this.notices.length === 0) return;
    const run: Promise<void> = this.flushLoop().finally(() => {
      if (this.flushing === run) this.flushing = null;
    });
    this.flushing = run;
  }

  private takeBatch(): { batch: CapturedBatch; changeCount: number; segments: number; ownNotices: string[] } {
    const changes: CapturedBatch['changes'] = [];
    const ownNotices = this.notices;
    const notices = [...ownNotices];
    this.notices = [];
    let checkpoint = this.committedLsn;
    let segments = 0;
    while (segments < this.queue.length) {
      const s = this.queue[segments] as DecodedSegment;
      if (segments > 0 && changes.length + s.changes.length > GATHER_CHANGES) break;
      for (const c of s.changes) changes.push(c);
      for (const n of s.notices) notices.push(n);
      checkpoint = s.checkpoint;
      segments++;
    }
    return { batch: { changes, checkpoint, notices: notices.length > 0 ? notices : undefined }, changeCount: changes.length, segments, ownNotices };
  }

  private async flushLoop(): Promise<void> {
    while (!this.stopping && !this.restarting && (this.queue.length > 0 || this.notices.length > 0)) {
      const { batch, changeCount, segments, ownNotices } = this.takeBatch();
      try {
        await this.opts.ctx.sink(batch);
      } catch (err) {
        // Not committed, so not confirmed: the server sends the transactions again after the
        // restart; notices that did not come from the stream are kept for the next batch.
        this.notices = [...ownNotices, ...this.notices];
        this.flushing = null;
        void this.restart(err, 'the inbox did not accept a batch');
        return;
      }
      this.queue.splice(0, segments);
      this.queuedChanges -= changeCount;
      if (batch.checkpoint && compareLsn(batch.checkpoint, this.committedLsn) > 0) this.committedLsn = batch.checkpoint;
      this.backoffMs = 200;
      if (this.paused && this.queuedChanges < PAUSE_AT_CHANGES / 2) this.setPaused(false);
      // The next batch takes what the socket delivers in this turn, not just what came during the commit.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private setPaused(paused: boolean): void {
    const conn = (this.service as unknown as { _connection?: { stream?: SocketStream } } | null)?._connection;
    if (!conn?.stream) return;
    if (paused && !this.paused) conn.stream.pause();
    if (!paused && this.paused) conn.stream.resume();
    this.paused = paused;
  }

  private ackTarget(): string {
    return compareLsn(this.idleLsn, this.committedLsn) > 0 ? this.idleLsn : this.committedLsn;
  }

  /** Confirm what the inbox holds. Throttled; `force` answers a keepalive that asks for a reply. */
  private sendAck(force: boolean): void {
    const service = this.service;
    if (!service || this.restarting) return;
    const target = this.ackTarget();
    const now = Date.now();
    if (!force && target === this.sentLsn && now - this.lastSentAt < FORCED_ACK_INTERVAL_MS) return;
    const value = parseLsn(target);
    if (value === 0n) return;
    // The library reports lsn + 1 as flushed; Postgres expects the commit end LSN itself, and a
    // transaction whose commit record starts exactly there must not be skipped on restart.
    // The inbox commits are relaxed: confirm only once they are on disk.
    const durable = this.opts.ctx.durable;
    if (durable) void durable().then(() => service.acknowledge(formatLsn(value - 1n))).catch(() => {});
    else void service.acknowledge(formatLsn(value - 1n)).catch(() => {});
    this.sentLsn = target;
    this.lastSentAt = now;
  }

  private async restart(err: unknown, context = 'replication stream failed'): Promise<void> {
    if (this.restarting || this.stopping) return;
    this.restarting = true;
    this.generation++;
    this.phase = 'reconnecting';
    this.lastError = `${context}: ${describePgError(err)}`;
    if (isUnavailablePgError(err)) this.opts.ctx.reportAvailability?.({ message: this.lastError, retryInMs: this.backoffMs });
    void this.reportStatus();
    const old = this.service;
    this.service = null;
    this.paused = false;
    await old?.destroy().catch(() => {});
    await this.flushing?.catch(() => {});
    this.queue = [];
    this.queuedChanges = 0;
    this.decoder.reset(this.committedLsn);
    await this.sleep(this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    this.restarting = false;
    if (this.stopping) return;
    this.connect();
    this.kick();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeper = null;
        resolve();
      }, ms);
      this.sleeper = { timer, resolve };
    });
  }

  private watch(client: pg.Client): pg.Client {
    client.on('error', () => {
      if (this.control === client) this.control = null;
      client.end().catch(() => {});
    });
    return client;
  }

  private async controlClient(): Promise<pg.Client> {
    if (this.control) return this.control;
    const client = new pg.Client(clientConfig(this.opts.config, this.opts.password));
    await client.connect();
    if (this.stopping) {
      await client.end().catch(() => {});
      throw new Error('capture stopped');
    }
    this.control = this.watch(client);
    return client;
  }

  private async reportStatus(): Promise<void> {
    const report = this.opts.ctx.reportStatus;
    if (!report || this.stopping) return;
    const base = {
      phase: this.phase,
      slot: this.opts.names.slot,
      publication: this.opts.names.publication,
      committedLsn: this.committedLsn,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
    try {
      const slot = await readSlotStatus(await this.controlClient(), this.opts.names.slot);
      if (!slot) {
        report({ ...base, warning: `Replication slot "${this.opts.names.slot}" no longer exists; restart the flow to re-create it (rows changed meanwhile are re-read by a new snapshot).` });
        return;
      }
      const limit = this.opts.config.walWarnBytes;
      const warning =
        slot.walStatus === 'lost'
          ? `Replication slot "${slot.slot}" lost WAL it needed (max_slot_wal_keep_size): changes were skipped; delete and re-create the flow's capture to re-snapshot.`
          : slot.walRetainedBytes > limit
            ? `Replication slot "${slot.slot}" keeps ${formatBytes(slot.walRetainedBytes)} of WAL on the server (warning above ${formatBytes(limit)}): keep this flow running, or delete it to free the space; consider capping max_slot_wal_keep_size.`
            : undefined;
      report({ ...base, walRetainedBytes: slot.walRetainedBytes, walBehindBytes: slot.walBehindBytes, walStatus: slot.walStatus, ...(warning ? { warning } : {}) });
    } catch (err) {
      report({ ...base, statusError: describePgError(err) });
    }
  }

  /** Both the abort signal and the handle stop the stream; every caller waits for the same end. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.opts.ctx.signal.removeEventListener('abort', this.onAbort);
    for (const t of this.timers) clearInterval(t);
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
    }
    this.setPaused(true);
    // Let the batch in flight finish so its checkpoint is confirmed; queued ones are abandoned
    // unconfirmed and come again on the next start.
    await this.flushing?.catch(() => {});
    this.restarting = false;
    this.sendAck(true);
    this.generation++;
    this.phase = 'stopped';
    await this.service?.destroy().catch(() => {});
    this.service = null;
    const control = this.control;
    this.control = null;
    await control?.end().catch(() => {});
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.round(bytes / 1024)} kB`;
}
