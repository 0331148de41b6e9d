import type { z } from 'zod';
import type { ChangeEvent } from '../../../shared/events.js';
import type { SyncError } from '../../../shared/errors.js';

/** The one interface every connector kind implements (postgres/, sqlite/, webhook/, rest/, …). */

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'date' | 'json' | 'array' | 'unknown';

export interface FieldInfo {
  name: string;
  type: FieldType;
  /** The system's own type name (e.g. `timestamptz`, `TEXT`), shown in the mapping editor. */
  nativeType?: string;
  nullable: boolean;
  primaryKey: boolean;
  /** The only values the system accepts (an allowed-values rule it declares, e.g. a CHECK … IN list), when known. */
  allowedValues?: string[];
  /**
   * Whether the system itself refuses a second record with an equal value (a unique index or key),
   * exactly and case-insensitively, when the connector can tell; `fix` holds the statement that adds
   * each. A record matched by this field and not found is created; only the system can make that
   * safe against a record created by someone else at the same moment (preflight warns).
   */
  unique?: { exact: boolean; caseInsensitive: boolean; fix: { exact: string; caseInsensitive: string } };
}

export interface EntityInfo {
  name: string;
  label?: string;
  /** The primary-key field; ChangeEvent.key is its value as a string. */
  keyField: string;
  fields: FieldInfo[];
  /** Any field name may be written (a JSONL folder): the engine skips its field and type checks. */
  openFields?: boolean;
}

export interface SourceRecord {
  key: string;
  fields: Record<string, unknown>;
}

/** A change as a connector captures it; the runtime adds captureTime and commits it to the inbox. */
export type CapturedChange = Omit<ChangeEvent, 'captureTime' | 'system'> & {
  captureTime?: number;
  /**
   * Where the change sits in its source's log, for a source that delivers its changes in a strictly
   * growing order and after a restart delivers again from an earlier point (Postgres: commit LSN and
   * index in the transaction). Fixed width, compared as strings. A change at or before the last
   * position committed for its system is a redelivery and is dropped; without a position, the event
   * id is remembered instead (a dedupe_keys row per change).
   */
  position?: string;
};

export interface CapturedBatch {
  changes: CapturedChange[];
  /** The source position to resume from after this batch (LSN, change-log id, cursor…), stored in the same transaction. */
  checkpoint: string | null;
  /** Changes the runtime cannot sync but must report (TRUNCATE, unknown tables…). */
  notices?: string[];
  /**
   * The source is acknowledged as soon as the sink resolves (a webhook's 2xx): commit with fsync.
   * Without it the commit is fast but may be lost on a power cut until `ctx.durable()` resolves.
   */
  durable?: boolean;
  /**
   * The batch belongs to a full read (initial snapshot) of `entities`, identified by `id`; the one
   * with `done` ends it. The runtime remembers which keys the read saw, and when it ends, deletes the
   * records it synced earlier (an interrupted read, a lost slot) that the read no longer found.
   */
  snapshot?: SnapshotMark;
  /** Webhook deliveries this batch answers; recorded in the same transaction as its changes (replay protection). */
  deliveries?: SeenDelivery[];
  /**
   * Messages that cannot become a change (not JSON, no route, no key): each goes to the DLQ in the
   * same transaction, so a queue acknowledges a poison message only once the DLQ holds it.
   */
  rejected?: RejectedMessage[];
  /** The source's positions (CapturedChange.position) start over here, e.g. a new replication slot: earlier ones are forgotten. */
  positionsRestart?: boolean;
}

/** A message a queue source could not read, kept in the DLQ with what the broker said about it. */
export interface RejectedMessage {
  /** Unique per message (its event id when it is seen again: a redelivery adds no second row). */
  eventId: string;
  /** The entity the message named, when it got that far; else the DLQ row goes to the first sync reading this system. */
  entity?: string;
  reason: string;
  /** The body as received (text, cut to a few KB). */
  body: string;
  /** Broker metadata: subject, stream and sequence, entry id, exchange and routing key, redelivery count… */
  broker: Record<string, unknown>;
  receivedAt: number;
}

export interface SnapshotMark {
  id: string;
  entities: string[];
  done?: boolean;
  /** The source time and version the full read stands for (the reconciling deletes carry them). */
  sourceTime: number;
  version?: number;
  /**
   * The runtime's clock before the read's consistent point. Records linked after it may have been
   * created (by our own writes on a two-way sync) after that point, so the read cannot vouch for
   * them: they are left alone.
   */
  startedAt: number;
}

/** A webhook delivery the receiver accepted, remembered until `expiresAtMs` to refuse its replay. */
export interface SeenDelivery {
  id: string;
  /** SHA-256 (hex) of the raw body: the same signed body under another delivery id is a replay too. */
  contentHash: string;
  /** The signature's timestamp, or null for body-only schemes. */
  signedAtMs: number | null;
  expiresAtMs: number;
}

/** What the store already knows of a delivery: its id, or its body under another id. */
export type DeliveryMatch = { by: 'id'; contentHash: string; signedAtMs: number | null } | { by: 'content'; id: string };

/** The durable record of accepted webhook deliveries of one system (survives restarts). */
export interface DeliveryLedger {
  find(id: string, contentHash: string, nowMs: number): DeliveryMatch | null;
}

/**
 * Commits a batch to the durable inbox (with its checkpoint) and resolves only after the commit.
 * A connector acknowledges its source (flush LSN, answer 2xx, advance cursor) only after this resolves.
 */
export type CaptureSink = (batch: CapturedBatch) => Promise<void>;

export interface CaptureContext {
  /** Entities of this system that some sync reads from. */
  entities: string[];
  /** Where the last run stopped (from the checkpoint store), or null on first run. */
  checkpoint: string | null;
  /**
   * A stable name for this reader (flow and system): a source whose change log several flows read
   * (one SQLite file) tags the snapshot it appends with it, so only the reader that asked takes it.
   */
  readerId?: string;
  sink: CaptureSink;
  /**
   * Resolves once everything the sink committed so far is on disk (one fsync shared by all callers).
   * Call it before acknowledging the source (flushing an LSN, deleting change-log rows) unless the
   * batch was committed with `durable: true`.
   */
  durable?: () => Promise<void>;
  signal: AbortSignal;
  /** Accepted webhook deliveries of this system, for replay checks; batches record new ones in `deliveries`. */
  deliveries?: DeliveryLedger;
  /** Report capture health (e.g. replication-slot WAL retained) to status/UI. */
  reportStatus?: (status: Record<string, unknown>) => void;
  /**
   * Report that the source cannot be reached (with when capture tries again), or null once it can:
   * the edge then shows "X unreachable since …" and an alert fires, as for an unavailable target.
   */
  reportAvailability?: (problem: { message: string; retryInMs?: number } | null) => void;
  /**
   * True while the flow's inbox is over its bound. A receiver that must answer at once (webhooks)
   * refuses with 503 + Retry-After; capture that reads at its own pace is held back by `sink`.
   */
  inboxFull?: () => boolean;
}

export interface CaptureHandle {
  /** Stop capturing; resolves when in-flight batches are committed or abandoned (never half-written). */
  stop(): Promise<void>;
}

export type WriteOp =
  | {
      kind: 'upsert';
      /** The target's primary key when the record is already linked; null to find by `match` or create. */
      key: string | null;
      /**
       * With `key`: what to do when that record no longer exists. 'skip' (the engine's choice for a
       * linked record): write nothing and answer `note: 'not-found'`, and the engine re-matches and
       * sends the whole record; 'create' (the default): create it with that key.
       */
      ifMissing?: 'create' | 'skip';
      match?: { field: string; value: unknown; normalize: 'exact' | 'lowercase-trim' };
      fields: Record<string, unknown>;
      /** Extra values written only when the record is created (seeds the target's own fields); ignored on update. */
      insertOnly?: Record<string, unknown>;
      /**
       * Write only while the record still holds these values (what the change being answered saw);
       * otherwise write nothing and answer `note: 'stale'`. A write-back to the system that was just
       * edited uses it, so an edit made there since is not overwritten by the older value. Writers
       * that cannot compare ignore it.
       */
      expect?: Record<string, unknown>;
      /** Stable per (event, sync, direction): a replay or a retry after a crash sends the same key. */
      idempotencyKey: string;
      sourceTime: number;
      version?: number;
    }
  | {
      kind: 'delete';
      key: string;
      mode: 'hard' | 'soft';
      /** For a soft delete: the field set to the deletion time. */
      softField?: string;
      idempotencyKey: string;
      sourceTime: number;
    };

/**
 * `version`: the record version this write produced, where the system has one (the same number its
 * change events carry as `version`), omitted when the write changed nothing; it lets the engine tell
 * its own echoes and older events apart from newer changes on systems that cannot tag our writes.
 */
export type WriteResult = { ok: true; key: string; created?: boolean; note?: 'not-found' | 'stale'; version?: number } | { ok: false; error: SyncError };

export interface ConnectionCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  /** One sentence saying what is wrong and how to fix it, or that all is well. */
  message: string;
  checks: ConnectionCheck[];
}

/** How one value would be stored by a target (for the preview): the text the system prints for it, or why it is refused. */
export type StoredForm = { stored: string } | { refused: string };

export interface Connector {
  testConnection(): Promise<ConnectionTestResult>;
  discover(): Promise<EntityInfo[]>;
  readSamples(entity: string, limit: number): Promise<SourceRecord[]>;
  readByKeys(entity: string, keys: string[]): Promise<SourceRecord[]>;
  /** Records whose `field` equals one of `values` (normalized as asked); used by matching and preview. */
  findByField(entity: string, field: string, values: unknown[], normalize: 'exact' | 'lowercase-trim'): Promise<SourceRecord[]>;
  startCapture(ctx: CaptureContext): Promise<CaptureHandle>;
  /**
   * Apply writes idempotently, in array order. The engine never puts two ops for the same record in
   * one call, so a connector may batch them into one statement. One result per op, same order.
   */
  write(entity: string, ops: WriteOp[], origin: string): Promise<WriteResult[]>;
  /**
   * How these field values would be stored, with nothing written: the conversion the write would make
   * (or its refusal), so the preview shows the value the target will hold. Optional: a connector
   * without it stores values as they are (JSON bodies).
   */
  storedForms?(entity: string, rows: Record<string, unknown>[]): Promise<Record<string, StoredForm>[]>;
  /**
   * The names the system offers for a config field tagged `format: 'broker-choice'` (streams,
   * consumers, groups), for the form to pick from; rejects with the system's own words when it
   * cannot be reached. Optional: only connectors with such fields have it.
   */
  choices?(field: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface SecretFieldInfo {
  name: string;
  label: string;
  description?: string;
  /** Needed only for an optional feature (webhooks, signed writes): the form shows it under Advanced settings. */
  advanced?: boolean;
}

export interface ConnectorContext<C> {
  config: C;
  /** Secret field name → value, resolved from the keychain; never persisted. */
  secrets: Record<string, string>;
  flowId: string;
  systemId: string;
  /** A folder the connector may keep files in (e.g. spool, test data). */
  dataDir: string;
}

export type CaptureMode = 'log' | 'trigger' | 'webhook' | 'poll' | 'queue' | 'none';

export interface ConnectorDefinition<C = unknown> {
  kind: string;
  label: string;
  description: string;
  configSchema: z.ZodType<C>;
  secretFields: SecretFieldInfo[];
  captureModes: CaptureMode[];
  /** How long between two looks at the source when it is polled, for tombstone TTLs (0 when pushed). */
  pollIntervalMs?(config: C): number;
  create(ctx: ConnectorContext<C>): Connector;
  /** Remove what capture set up on the user's system (a replication slot…) when the flow is deleted. */
  dropCaptureResources?(ctx: ConnectorContext<C>): Promise<unknown>;
}
