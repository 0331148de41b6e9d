import { z } from 'zod';
import type { FieldClass, FlowDocument } from '../flow/schema.js';
import type { ValidationIssue } from '../flow/validate.js';
import type { FieldUniqueness } from '../flow/match-uniqueness.js';
import type { ErrorClass } from '../errors.js';

/**
 * The runtime API: one typed contract, served over Electron IPC and over local HTTP
 * (browser mode, headless `synccanvas serve`). Inputs are validated with these schemas on the
 * runtime side of every transport.
 */

const flowId = z.string().min(1);
const DirectionKey = z.enum(['a-to-b', 'b-to-a']);
export type DirectionKey = z.infer<typeof DirectionKey>;

export const DlqFilterSchema = z.object({
  flowId: flowId.optional(),
  syncId: z.string().optional(),
  direction: DirectionKey.optional(),
  errorClass: z.enum(['transient', 'permanent', 'conflict', 'validation']).optional(),
  text: z.string().max(200).optional(),
  since: z.number().optional(),
  until: z.number().optional(),
});
export type DlqFilter = z.infer<typeof DlqFilterSchema>;

/** Alert thresholds of one edge (any direction); an unset threshold never alerts. */
export const AlertThresholdsSchema = z.object({
  lagP99Ms: z.number().positive().optional(),
  errorsPerMin: z.number().min(0).optional(),
  conflictsPerMin: z.number().min(0).optional(),
  dlqDepth: z.number().int().min(0).optional(),
});
export type AlertThresholds = z.infer<typeof AlertThresholdsSchema>;

export const ApiInputs = {
  'workspace.info': z.object({}),
  'flows.list': z.object({}),
  'flows.get': z.object({ flowId }),
  'flows.save': z.object({ flow: z.unknown() }),
  'flows.validate': z.object({ flow: z.unknown() }),
  'flows.delete': z.object({ flowId }),
  'flows.start': z.object({ flowId }),
  'flows.stop': z.object({ flowId }),
  'status.get': z.object({ flowId: flowId.optional() }),
  'metrics.series': z.object({ flowId, syncId: z.string(), direction: DirectionKey, sinceMs: z.number().int().min(0).default(15 * 60_000) }),
  'dlq.list': z.object({ filter: DlqFilterSchema.default({}), limit: z.number().int().min(1).max(1000).default(100), offset: z.number().int().min(0).default(0) }),
  'dlq.get': z.object({ id: z.number().int() }),
  'dlq.replay': z.object({ ids: z.array(z.number().int()).max(100_000).optional(), filter: DlqFilterSchema.optional() }).refine((v) => v.ids || v.filter, 'give ids or a filter'),
  'dlq.discard': z.object({ ids: z.array(z.number().int()).max(100_000).optional(), filter: DlqFilterSchema.optional() }).refine((v) => v.ids || v.filter, 'give ids or a filter'),
  'preview.run': z.object({ flowId, syncId: z.string(), limit: z.number().int().min(1).max(10_000).default(50), direction: DirectionKey.optional() }),
  'conflicts.resolve': z
    .object({ id: z.number().int(), keep: z.enum(['a', 'b']).optional(), value: z.unknown().optional() })
    .refine((v) => (v.keep !== undefined) !== (v.value !== undefined), 'give either keep ("a" or "b") or a custom value'),
  'matching.report': z.object({ flowId, syncId: z.string(), limit: z.number().int().min(1).max(100_000).default(10_000) }),
  'connectors.list': z.object({}),
  'connectors.test': z.object({ flowId, systemId: z.string() }),
  'connectors.discover': z.object({ flowId, systemId: z.string() }),
  // Editor additions: test/discover a system of a draft (unsaved) flow; the system is validated with the connector's schema.
  'connectors.testDraft': z.object({ system: z.unknown() }),
  'connectors.discoverDraft': z.object({ system: z.unknown() }),
  /** The names a (draft) system offers for one of its settings tagged `format: 'broker-choice'`: streams, consumers, groups. */
  'connectors.choicesDraft': z.object({ system: z.unknown(), field: z.string().min(1).max(100) }),
  /** Suggested classes for an AI feed's source fields, from their names and sample values read from the (draft) system. */
  'ai.suggestClasses': z.object({ system: z.unknown(), entity: z.string().min(1), fields: z.array(z.string().min(1)).min(1).max(500) }),
  'secrets.set': z.object({ name: z.string().min(1).max(200), value: z.string().min(1).max(100_000) }),
  'secrets.status': z.object({ names: z.array(z.string()).max(1000) }),
  // Setup additions: the file picker of browser mode (folders inside the home and workspace folders only) and where a typed database path points.
  'files.browse': z.object({ path: z.string().max(4096).optional() }),
  'files.resolve': z.object({ path: z.string().max(4096) }),
  /** Any REST API's builder: one GET of a list address with the draft system's address and sign-in; what records and fields it holds. */
  'connectors.restSample': z.object({ system: z.unknown(), path: z.string().trim().min(1).max(500).regex(/^\//, 'a path starts with "/", e.g. /v1/customers') }),
  // Operations additions: what-if on history, preflight and go-live, DLQ edit/undo, alert thresholds.
  /** The candidate flow's sync (unsaved mapping; default: the stored flow) run against the edge's last applied events; nothing is written. */
  'records.compare': z.object({ flowId, syncId: z.string(), side: z.enum(['a', 'b']), key: z.string() }),
  'preview.history': z.object({ flowId, syncId: z.string(), flow: z.unknown().optional(), limit: z.number().int().min(1).max(200).default(50) }),
  'preflight.run': z.object({ flowId, flow: z.unknown().optional() }),
  /** Start the flow when preflight passes, or with an override whose reason is kept. */
  'flows.goLive': z.object({ flowId, override: z.object({ reason: z.string().trim().min(10, 'write at least 10 characters: why is it safe to go live anyway?').max(2000) }).optional() }),
  'flows.goLiveLog': z.object({ flowId }),
  'dlq.editReplay': z.object({ id: z.number().int(), fields: z.record(z.string(), z.unknown()) }),
  'dlq.undoDiscard': z.object({ ids: z.array(z.number().int()).min(1).max(100_000) }),
  'alerts.get': z.object({ flowId }),
  'alerts.set': z.object({ flowId, syncId: z.string().min(1), thresholds: AlertThresholdsSchema }),
  'audit.list': z.object({ limit: z.number().int().min(1).max(1000).default(100), offset: z.number().int().min(0).default(0) }),
} as const;

export type ApiMethod = keyof typeof ApiInputs;
export type ApiInput<M extends ApiMethod> = z.input<(typeof ApiInputs)[M]>;
export type ApiParsedInput<M extends ApiMethod> = z.output<(typeof ApiInputs)[M]>;

export interface FlowSummary {
  id: string;
  name: string;
  running: boolean;
  updatedAt: number;
  /** Why this build cannot open the stored flow (saved by a newer SyncCanvas); absent when it can. */
  problem?: string;
}

export interface LagStats {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface DirectionStats {
  direction: DirectionKey;
  lagMs: LagStats;
  eventsPerSec: number;
  applied: number;
  errors: number;
  conflicts: number;
  echoesSuppressed: number;
  ownershipViolations: number;
  tombstones: number;
  pending: number;
  dlqDepth: number;
  lastAppliedAt: number | null;
}

export type EdgeHealth = 'idle' | 'healthy' | 'lagging' | 'failing' | 'unreachable';

/** A system that cannot be reached or is not accepting work: its edges pause and resume by themselves. */
export interface UnreachableStatus {
  systemId: string;
  name: string;
  /** When the outage began (first failure). */
  since: number;
  /** When the runtime tries again (the next probe, or the capture's next reconnect). */
  retryAt: number;
  /** The system's last error. */
  message: string;
}

export interface SyncStatus {
  syncId: string;
  health: EdgeHealth;
  /** How long deletes are remembered so no poll or late echo resurrects a record (longest poll + buffer). */
  tombstoneTtlMs: number;
  directions: DirectionStats[];
  unknownFields: { system: string; field: string; firstSeen: number; count: number }[];
  /** The edge's systems that are unreachable now (health is then 'unreachable'). */
  unreachable?: UnreachableStatus[];
}

export interface SystemStatus {
  systemId: string;
  capturing: boolean;
  error: string | null;
  detail: Record<string, unknown>;
  /** Set while the system cannot be reached (writes to it or its capture). */
  unreachable?: UnreachableStatus | null;
}

export interface FlowStatus {
  flowId: string;
  running: boolean;
  startedAt: number | null;
  error: string | null;
  inboxPending: number;
  dlqDepth: number;
  systems: SystemStatus[];
  syncs: SyncStatus[];
  notices: string[];
}

export interface MetricPoint {
  t: number;
  events: number;
  errors: number;
  conflicts: number;
  echoes: number;
  lagP50: number | null;
  lagP99: number | null;
  dlqDepth: number;
}

export interface DlqEntry {
  id: number;
  flowId: string;
  syncId: string;
  direction: DirectionKey;
  eventId: string;
  sourceSystem: string;
  targetSystem: string;
  entity: string;
  key: string;
  errorClass: ErrorClass;
  message: string;
  response: string | null;
  attempts: number;
  firstFailedAt: number;
  lastFailedAt: number;
  event: Record<string, unknown>;
  payload: Record<string, unknown> | null;
  /** For a conflict: `{ conflicts: [{ a, b, aValue, bValue, aTime, bTime }], targetKey }` — both sides' values to choose from. */
  detail?: Record<string, unknown> | null;
  /**
   * Later changes of the same record held in the inbox behind this failed one (per-record order):
   * replaying, fixing or discarding this entry releases them, in order. Always 0 for a conflict.
   */
  waitingBehind?: number;
}

export type PreviewAction = 'create' | 'update' | 'no-op' | 'conflict' | 'invalid' | 'delete';

export interface PreviewRow {
  sourceKey: string;
  /** The source record as a person knows it (a name, an email, a title from its fields), or null. */
  label?: string | null;
  targetKey: string | null;
  action: PreviewAction;
  /** `stored`: the value as the target itself would store it (its conversion shown), when the target can say. */
  changes: { field: string; from: unknown; to: unknown; stored?: string }[];
  reason: string | null;
  /** On an AI feed: each mapped field's original beside its masked value, the contract check and the scanner's findings. */
  ai?: AiPreview;
}

/** One record of an AI feed in the preview (docs/ai-feeds.md). Findings say where, never repeat the value. */
export interface AiPreview {
  fields: { source: string; target: string; class: string | null; original: unknown; masked: unknown; error: string | null }[];
  /** Contract violations of the masked record (empty: it meets the contract). */
  contract: string[];
  /** What the scanner found in the original text values (masked or blocked by the mapping), per source field. */
  findings: { field: string; kind: string; start: number; end: number }[];
}

export interface PreviewResult {
  syncId: string;
  direction: DirectionKey;
  rows: PreviewRow[];
  audit: {
    duplicateMatchKeys: string[];
    missingRequired: { key: string; field: string }[];
    multipleMatches: string[];
    /** Sample values that cannot be what their field holds (an email without a domain, a phone number with too few digits). */
    invalidEmails?: { key: string; field: string; value: string }[];
    invalidPhones?: { key: string; field: string; value: string }[];
  };
  wrote: 0;
}

/** One record across an edge now (records.compare): its values, and per direction what a sync would still change. */
export interface RecordComparison {
  /** The record's current values on the side asked about; null when it no longer exists there. */
  fields: Record<string, unknown> | null;
  /** Per direction of the edge: the preview of the record (no-op: the sides agree), or null when it has no source record that way. */
  directions: { direction: DirectionKey; row: PreviewRow | null }[];
}

/** What matching by the match key finds before anything is written (first sync). */
export interface MatchingReport {
  syncId: string;
  matchKey: { a: string; b: string; normalize: string };
  read: { a: number; b: number; truncated: boolean };
  matched: number;
  alreadyLinked: number;
  /** Records that would be created on the other side. */
  unmatched: { a: string[]; b: string[] };
  /** Match values held by more than one record on one side: they cannot be matched until merged. */
  duplicates: { a: { value: string; keys: string[] }[]; b: { value: string; keys: string[] }[] };
  /** Records without a match value: they cannot be matched or created until it is filled in. */
  missingKey: { a: string[]; b: string[] };
}

export interface ConnectorKindInfo {
  kind: string;
  label: string;
  description: string;
  configJsonSchema: unknown;
  secretFields: { name: string; label: string; description?: string; advanced?: boolean }[];
  captureModes: string[];
}

export interface ApiOutputs {
  'workspace.info': { name: string; path: string; demo: boolean; version: string; keychain: { available: boolean; message: string } };
  'flows.list': FlowSummary[];
  'flows.get': { flow: FlowDocument };
  'flows.save': { ok: true; flow: FlowDocument } | { ok: false; issues: ValidationIssue[] };
  'flows.validate': { ok: boolean; issues: ValidationIssue[] };
  'flows.delete': { ok: true };
  'flows.start': FlowStatus;
  'flows.stop': FlowStatus;
  'status.get': FlowStatus[];
  'metrics.series': MetricPoint[];
  'dlq.list': { total: number; entries: DlqEntry[] };
  'dlq.get': DlqEntry;
  'dlq.replay': { replayed: number };
  'dlq.discard': { discarded: number };
  'preview.run': PreviewResult;
  'conflicts.resolve': { ok: true };
  'matching.report': MatchingReport;
  'connectors.list': ConnectorKindInfo[];
  'connectors.test': { ok: boolean; message: string; checks: { name: string; ok: boolean; message: string }[] };
  'connectors.discover': { entities: { name: string; keyField: string; fields: { name: string; type: string; nativeType?: string; nullable: boolean; primaryKey: boolean; unique?: FieldUniqueness }[] }[] };
  'connectors.testDraft': ApiOutputs['connectors.test'];
  'connectors.discoverDraft': ApiOutputs['connectors.discover'];
  'connectors.choicesDraft': { choices: string[] };
  /** Per asked field, in order: a suggestion and why, or null when neither the name nor the samples say anything. */
  'ai.suggestClasses': { samples: number; suggestions: ({ class: FieldClass; reason: string } | null)[] };
  'secrets.set': { ok: true };
  /**
   * `available`: new secrets can be stored (keychain or vault). `sources`: which provider answers
   * each name (environment, folder, vault, keychain), null when none has it.
   */
  'secrets.status': { available: boolean; message: string; present: Record<string, boolean>; sources?: Record<string, 'environment' | 'folder' | 'vault' | 'keychain' | null> };
  'files.browse': { dir: string; parent: string | null; roots: { label: string; path: string }[]; entries: { name: string; path: string; kind: 'dir' | 'file'; size: number | null }[] };
  /** `path` absolute, with `~` expanded and a relative path resolved against `base` (the workspace's data folder). */
  'files.resolve': { path: string; base: string; exists: boolean };
  'connectors.restSample': { name: string; recordsPath: string; primaryKey: string; fields: { name: string; type: string }[]; count: number; sample: Record<string, unknown> | null };
  'preview.history': HistoryPreviewResult;
  'records.compare': RecordComparison;
  'preflight.run': PreflightResult;
  'flows.goLive': { status: FlowStatus; preflight: PreflightResult; record: GoLiveRecord };
  'flows.goLiveLog': GoLiveRecord[];
  'dlq.editReplay': { replayed: number };
  'dlq.undoDiscard': { restored: number; expired: number[] };
  'alerts.get': Record<string, AlertThresholds>;
  'alerts.set': { ok: true };
  'audit.list': { total: number; entries: AuditEntry[] };
}

/** One mutating API call on a shared runtime: who, when, what (ids and names, never values), and how it ended. */
export interface AuditEntry {
  id: number;
  at: number;
  who: string;
  role: 'viewer' | 'operator' | 'editor' | 'admin';
  method: string;
  /** What the call was about: flow, sync, DLQ ids, a secret's name… never secret or record values. */
  target: Record<string, unknown>;
  /** An override's reason (go-live despite preflight), when the call gave one. */
  reason: string | null;
  ok: boolean;
  error: string | null;
}

export interface HistoryPreviewRow extends PreviewRow {
  direction: DirectionKey;
  eventId: string;
  appliedAt: number;
}

/** What a (candidate) mapping would have done with the edge's last applied events. */
export interface HistoryPreviewResult {
  syncId: string;
  events: number;
  rows: HistoryPreviewRow[];
  /** Events the candidate does not cover (a direction it no longer syncs, deletes), with why. */
  skipped: { eventId: string; reason: string }[];
  wrote: 0;
}

export type PreflightCheckId = 'ownership' | 'match-keys' | 'match-unique' | 'secrets' | 'connections' | 'dlq' | 'loop-prevention' | 'tombstone-ttl' | 'value-fidelity' | 'preview-clean' | 'ai-feed' | 'other-flows';

export interface PreflightCheck {
  id: PreflightCheckId;
  label: string;
  ok: boolean;
  /** Passes, but names a risk the user should remove (the detail says how); never blocks go-live. */
  warn?: boolean;
  /** What was found and, when it fails, what to fix. */
  detail: string;
}

export interface PreflightEdge {
  syncId: string;
  name: string;
  ok: boolean;
  checks: PreflightCheck[];
}

export interface PreflightResult {
  flowId: string;
  ok: boolean;
  edges: PreflightEdge[];
  checkedAt: number;
  lastGoLive: GoLiveRecord | null;
}

export interface GoLiveRecord {
  id: number;
  flowId: string;
  at: number;
  override: boolean;
  reason: string | null;
  failed: string[];
}

/** An error the API returns as a value: `code` is stable, `message` says what to fix. */
export interface ApiErrorBody {
  error: { code: 'bad_request' | 'not_found' | 'unauthorized' | 'forbidden' | 'conflict' | 'unavailable' | 'internal'; message: string; issues?: ValidationIssue[] };
}

/** What a transport implements; the renderer picks IPC or HTTP in one place. */
export interface ApiTransport {
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]>;
}

/** Pushed to the renderer: over IPC channel `synccanvas:event`, over HTTP as server-sent events on GET /api/events. */
export type RuntimeEvent = { type: 'status'; flows: FlowStatus[] } | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string };

/** IPC channel names; the preload exposes `window.synccanvas: PreloadApi` and nothing else. */
export const IPC_CALL_CHANNEL = 'synccanvas:call';
export const IPC_EVENT_CHANNEL = 'synccanvas:event';
/** The desktop app's native open-file dialog (browser mode uses the files.browse API instead). */
export const IPC_PICK_FILE_CHANNEL = 'synccanvas:pick-file';

export const PickFileRequestSchema = z.object({ title: z.string().min(1).max(200), defaultPath: z.string().max(4096).optional() }).strict();
export type PickFileRequest = z.infer<typeof PickFileRequestSchema>;

export interface PreloadApi {
  call(method: string, input: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: ApiErrorBody['error'] }>;
  onEvent(listener: (event: RuntimeEvent) => void): () => void;
  /** The chosen file's absolute path, or null when the user cancelled. */
  pickFile(request: PickFileRequest): Promise<string | null>;
}

/**
 * HTTP transport: `POST /api/call/<method>` with the JSON input as body and
 * `Authorization: Bearer <token>`; 200 with the output, or 4xx/5xx with ApiErrorBody.
 * `GET /api/events?token=<token>` streams RuntimeEvent as server-sent events.
 * The printed URL is `http://127.0.0.1:<port>/#token=<token>`.
 */
export const HTTP_CALL_PREFIX = '/api/call/';
export const HTTP_EVENTS_PATH = '/api/events';
