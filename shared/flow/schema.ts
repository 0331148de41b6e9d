import { z } from 'zod';

/**
 * The flow document format version this build writes. Older documents are migrated on read; a newer
 * one is refused (shared/flow/migrate.ts). zod drops keys it does not know, so any change an older
 * build would misread needs a new version and a migration step: a build from before AI feeds read an
 * AI feed as a plain sync and saved it back without its policy. format-fingerprint.test.ts fails on a
 * format change that kept the version.
 * 1 prototype · 2 direction words, owners by side · 3 AI feeds (`class`, `aiFeed`, masking transforms)
 */
export const FLOW_SCHEMA_VERSION = 3;

const id = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'use letters, digits, "-" and "_" only, starting with a letter or digit');

const fieldName = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

export const PositionSchema = z.object({ x: z.number().finite(), y: z.number().finite() });

/** A secret is referenced by name only; its value lives in the OS keychain. */
export const SecretRefSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:/-]+$/, 'secret names use letters, digits and . _ : / - only');

export const SystemSchema = z.object({
  id,
  name: z.string().min(1, 'give the system a name').max(80),
  kind: z.string().min(1, 'choose a connector kind'),
  /** Non-secret connector configuration, validated by the connector's own schema. */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Connector secret field name → keychain secret name. */
  secretRefs: z.record(z.string(), SecretRefSchema).default({}),
  position: PositionSchema.default({ x: 0, y: 0 }),
});
export type SystemNode = z.infer<typeof SystemSchema>;

export const DirectionSchema = z.enum(['a-to-b', 'b-to-a', 'both']);
export type Direction = z.infer<typeof DirectionSchema>;

export const SideSchema = z.enum(['a', 'b']);
export type Side = z.infer<typeof SideSchema>;

export const EndpointSchema = z.object({ system: id, entity: z.string().min(1, 'choose an entity') });
export type Endpoint = z.infer<typeof EndpointSchema>;

/**
 * What a mapped field holds, for AI feeds (docs/ai-feeds.md): every field of an AI-feed edge must
 * carry one, and every sensitive one must be masked before it reaches the sink.
 */
export const FieldClassSchema = z.enum(['email', 'phone', 'person-name', 'postal-address', 'payment-card', 'iban', 'national-id', 'date-of-birth', 'free-text', 'not-sensitive']);
export type FieldClass = z.infer<typeof FieldClassSchema>;

/** Kinds of value the free-text scanner finds (shared/ai/scanner.ts). */
export const ScanFindingKindSchema = z.enum(['email', 'phone', 'payment-card', 'iban', 'national-id']);
export type ScanFindingKind = z.infer<typeof ScanFindingKindSchema>;

const keyId = z.string().regex(/^[a-z0-9]{1,8}$/, 'a key id is 1 to 8 lower-case letters or digits, e.g. "k1"');

export const TransformSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('trim') }),
  z.object({ type: z.literal('lowercase') }),
  z.object({ type: z.literal('uppercase') }),
  z.object({ type: z.literal('phone'), defaultCountryCode: z.string().regex(/^\d{1,3}$/).default('1') }),
  z.object({ type: z.literal('date'), format: z.enum(['iso-date', 'iso-datetime', 'epoch-ms']) }),
  z.object({
    type: z.literal('value-map'),
    map: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    /** What to do with a value that is not in the map. */
    otherwise: z.enum(['keep', 'null', 'reject']).default('keep'),
  }),
  z.object({ type: z.literal('default'), value: z.union([z.string(), z.number(), z.boolean()]) }),
  // Masking (docs/ai-feeds.md): each is a documented, deliberate conversion of the value.
  /** The value is removed: the target gets null. */
  z.object({ type: z.literal('redact') }),
  /** Every character but the last `keepLast` becomes `*` (the length shows; the rest does not). */
  z.object({ type: z.literal('partial'), keepLast: z.number().int().min(0).max(8).default(4) }),
  /**
   * `tok_<keyId>_<43 base64url chars>`: HMAC-SHA256 of the (normalized) value under the secret
   * `keyRef`. Same value and key → same token, so joins work downstream; a new key needs a new keyId.
   */
  z.object({
    type: z.literal('token'),
    keyRef: SecretRefSchema,
    keyId,
    normalize: z.enum(['exact', 'lowercase-trim']).default('lowercase-trim'),
  }),
  /** A date becomes its month or year, a number its bucket, an address its city. */
  z.object({ type: z.literal('generalize'), to: z.enum(['month', 'year', 'bucket', 'city']), bucketSize: z.number().int().min(1).max(1_000_000_000).default(10) }),
  /** Looks for sensitive values inside text and masks each (`[email]`) or refuses the record (to the DLQ). */
  z.object({ type: z.literal('scan'), action: z.enum(['mask', 'block']).default('mask'), kinds: z.array(ScanFindingKindSchema).min(1).default(['email', 'phone', 'payment-card', 'iban', 'national-id']) }),
]);
export type Transform = z.infer<typeof TransformSchema>;

export const FieldOwnerSchema = z.enum(['a', 'b', 'shared']);
export type FieldOwner = z.infer<typeof FieldOwnerSchema>;

export const FieldMappingSchema = z.object({
  a: fieldName,
  b: fieldName,
  /** The system whose value is the truth for this field; "shared" needs the sync's conflict policy. */
  owner: FieldOwnerSchema,
  /** Transforms applied when the value travels a → b. */
  toB: z.array(TransformSchema).default([]),
  /** Transforms applied when the value travels b → a. */
  toA: z.array(TransformSchema).default([]),
  required: z.boolean().default(false),
  /** What the field holds (AI feeds: required on every field, see docs/ai-feeds.md). */
  class: FieldClassSchema.optional(),
});
export type FieldMapping = z.infer<typeof FieldMappingSchema>;

export const LatencySchema = z.discriminatedUnion('tier', [
  z.object({ tier: z.literal('real-time') }),
  z.object({ tier: z.literal('near-real-time'), windowMs: z.number().int().min(100).max(3_600_000) }),
  z.object({ tier: z.literal('batch'), cron: z.string().min(9, 'a cron expression has five fields, e.g. "*/15 * * * *"') }),
]);
export type Latency = z.infer<typeof LatencySchema>;

export const DeletePolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('hard') }),
  z.object({ mode: z.literal('soft'), aField: fieldName.optional(), bField: fieldName.optional() }),
  z.object({ mode: z.literal('ignore') }),
]);
export type DeletePolicy = z.infer<typeof DeletePolicySchema>;

export const ConflictPolicySchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('prefer'),
    side: SideSchema,
    /** Edits on both sides within this many ms are concurrent: the preferred side's wins. */
    windowMs: z.number().int().min(0).max(3_600_000).default(5000),
  }),
  z.object({ mode: z.literal('newest-wins'), skewToleranceMs: z.number().int().min(0).max(3_600_000).default(5000) }),
]);
export type ConflictPolicy = z.infer<typeof ConflictPolicySchema>;

export const MatchKeySchema = z.object({
  a: fieldName,
  b: fieldName,
  /** How match values are compared, e.g. emails case-insensitively. */
  normalize: z.enum(['exact', 'lowercase-trim']).default('lowercase-trim'),
});
export type MatchKey = z.infer<typeof MatchKeySchema>;

export const SyncSchema = z.object({
  id,
  name: z.string().max(120).optional(),
  a: EndpointSchema,
  b: EndpointSchema,
  direction: DirectionSchema,
  matchKey: MatchKeySchema,
  fields: z.array(FieldMappingSchema).min(1, 'map at least one field'),
  latency: LatencySchema.default({ tier: 'real-time' }),
  deletePolicy: DeletePolicySchema.default({ mode: 'hard' }),
  conflictPolicy: ConflictPolicySchema.default({ mode: 'newest-wins', skewToleranceMs: 5000 }),
  /** What to do when a non-owner changes an owned field: count it, or also write the owner's value back. */
  ownershipViolation: z.enum(['report', 'revert']).default('report'),
  /** Longest polling interval on either side; the tombstone TTL is derived from it. */
  pollIntervalMs: z.number().int().min(0).default(0),
  enabled: z.boolean().default(true),
  /**
   * Marks the edge as a feed for an AI tool: every field classified, sensitive ones masked (preflight
   * blocks go-live otherwise), and every record checked against `contract` (a JSON Schema; generated
   * from the mapping when absent) and the scanner before it reaches the sink. docs/ai-feeds.md.
   */
  aiFeed: z
    .object({
      contract: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});
export type SyncEdge = z.infer<typeof SyncSchema>;

export const FlowDocumentSchema = z
  .object({
    schemaVersion: z.literal(FLOW_SCHEMA_VERSION),
    id,
    name: z.string().min(1, 'give the flow a name').max(120),
    systems: z.array(SystemSchema),
    syncs: z.array(SyncSchema),
  })
  .superRefine((doc, ctx) => {
    const systemIds = new Map<string, number>();
    doc.systems.forEach((s, i) => {
      if (systemIds.has(s.id)) {
        ctx.addIssue({ code: 'custom', path: ['systems', i, 'id'], message: `duplicate system id "${s.id}": each system needs its own id` });
      }
      systemIds.set(s.id, i);
    });
    const syncIds = new Set<string>();
    doc.syncs.forEach((s, i) => {
      if (syncIds.has(s.id)) ctx.addIssue({ code: 'custom', path: ['syncs', i, 'id'], message: `duplicate sync id "${s.id}": each sync needs its own id` });
      syncIds.add(s.id);
      for (const side of ['a', 'b'] as const) {
        if (!systemIds.has(s[side].system)) {
          ctx.addIssue({
            code: 'custom',
            path: ['syncs', i, side, 'system'],
            message: `unknown system "${s[side].system}": use one of ${[...systemIds.keys()].map((k) => `"${k}"`).join(', ') || '(no systems defined)'}`,
          });
        }
      }
      if (s.aiFeed && s.direction === 'both') {
        ctx.addIssue({ code: 'custom', path: ['syncs', i, 'direction'], message: 'an AI feed runs one way, into the AI tool: make the sync a → b or b → a' });
      }
      if (s.a.system === s.b.system && s.a.entity === s.b.entity) {
        ctx.addIssue({ code: 'custom', path: ['syncs', i, 'b'], message: 'a sync cannot connect an entity to itself: pick a different system or entity for side b' });
      }
      const seenA = new Set<string>();
      const seenB = new Set<string>();
      s.fields.forEach((f, j) => {
        if (seenA.has(f.a)) ctx.addIssue({ code: 'custom', path: ['syncs', i, 'fields', j, 'a'], message: `field "${f.a}" is mapped twice on side a: map each field once` });
        if (seenB.has(f.b)) ctx.addIssue({ code: 'custom', path: ['syncs', i, 'fields', j, 'b'], message: `field "${f.b}" is mapped twice on side b: map each field once` });
        seenA.add(f.a);
        seenB.add(f.b);
        if (s.direction === 'a-to-b' && f.owner === 'b') {
          ctx.addIssue({ code: 'custom', path: ['syncs', i, 'fields', j, 'owner'], message: `field "${f.a}" is owned by side b but the sync only runs a → b: make side a the owner or make the sync two-way` });
        }
        if (s.direction === 'b-to-a' && f.owner === 'a') {
          ctx.addIssue({ code: 'custom', path: ['syncs', i, 'fields', j, 'owner'], message: `field "${f.b}" is owned by side a but the sync only runs b → a: make side b the owner or make the sync two-way` });
        }
      });
    });
  });
export type FlowDocument = z.infer<typeof FlowDocumentSchema>;
