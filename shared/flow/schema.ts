import { z } from 'zod';

/** The flow document format version this build writes. Older documents are migrated on read. */
export const FLOW_SCHEMA_VERSION = 2;

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
