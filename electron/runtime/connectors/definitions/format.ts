import { z } from 'zod';
import { SignatureSchemeSchema } from '../webhook/signature.js';

/**
 * The declarative connector format (in the spirit of Airbyte's low-code manifests): one document
 * says how to authenticate, list, page through, read incrementally, find, write and receive webhooks
 * for each entity of an HTTP API. Shipped vendor definitions and the "Any REST API" kind share it.
 * docs/connectors/definitions.md describes every field.
 */

const name = z
  .string()
  .min(1, 'must not be empty')
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'use letters, digits, "-" and "_", starting with a letter');
/** A dotted path into a JSON body: `results`, `paging.next.after`; '' means the body itself. */
const jsonPath = z.string().max(200).regex(/^$|^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted path such as "data.object"');
/** Relative to baseUrl, may hold `{key}`-style placeholders. */
const urlPath = z.string().min(1).max(500).regex(/^\//, 'a path starts with "/", relative to baseUrl');
const secretName = z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a secret field name such as "token"');
const httpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const timeFormat = z.enum(['auto', 'iso', 'epoch-s', 'epoch-ms']);
const query = z.record(z.string(), z.string()).default({});

export const AuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('bearer'), tokenSecret: secretName.default('token') }),
  z.object({
    type: z.literal('api-key'),
    in: z.enum(['header', 'query']).default('header'),
    name: z.string().min(1).max(100),
    /** Put before the key, e.g. "Token " (header only). */
    prefix: z.string().max(40).default(''),
    secret: secretName.default('apiKey'),
  }),
  z.object({
    type: z.literal('basic'),
    /** May use `{config.x}` placeholders, e.g. "{config.email}/token" for Zendesk API tokens. */
    username: z.string().min(1).max(200),
    passwordSecret: secretName.default('password'),
  }),
  z.object({
    type: z.literal('oauth2-client-credentials'),
    /** Absolute URL or a path relative to baseUrl. */
    tokenUrl: z.string().min(1).max(500),
    clientId: z.string().min(1).max(200),
    clientSecretSecret: secretName.default('clientSecret'),
    scope: z.string().max(500).optional(),
    /** `body` sends client_id/client_secret in the form (some providers); `basic` uses the Authorization header (RFC 6749 default). */
    clientAuth: z.enum(['basic', 'body']).default('basic'),
  }),
]);
export type AuthSpec = z.infer<typeof AuthSchema>;

export const PaginationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  /** The response carries the next page's token (HubSpot `paging.next.after`, Zendesk `after_cursor`). */
  z.object({
    type: z.literal('cursor'),
    param: z.string().min(1),
    nextPath: jsonPath,
    /** Where the response says it is done (Zendesk `end_of_stream`); without it an empty token ends. */
    stopPath: jsonPath.optional(),
    /** Query parameters dropped after the first page (a cursor replaces the time filter). */
    dropAfterFirst: z.array(z.string()).default([]),
  }),
  /** The next page starts after the last record's id (Stripe `starting_after` + `has_more`). */
  z.object({ type: z.literal('last-id'), param: z.string().min(1), idField: z.string().default('id'), hasMorePath: jsonPath }),
  z.object({
    type: z.literal('offset'),
    offsetParam: z.string().default('offset'),
    limitParam: z.string().default('limit'),
    pageSize: z.number().int().min(1).max(10_000).default(100),
  }),
  /** RFC 8288 `Link: <…>; rel="next"` (Shopify, GitHub). The next URL must stay on the same origin. */
  z.object({ type: z.literal('link-header') }),
]);
export type PaginationSpec = z.infer<typeof PaginationSchema>;

export const FieldSpecSchema = z.object({
  name: z.string().min(1).max(128),
  type: z.enum(['string', 'integer', 'number', 'boolean', 'datetime', 'date', 'json', 'array', 'unknown']),
  nativeType: z.string().max(64).optional(),
  nullable: z.boolean().default(true),
  /** A webhook or poll record without it is rejected (422) instead of stored. */
  required: z.boolean().default(false),
});
export type FieldSpec = z.infer<typeof FieldSpecSchema>;

export const RequestSpecSchema = z.object({
  method: httpMethod.default('GET'),
  path: urlPath,
  query,
  /** A JSON body template for POST searches: string values may hold placeholders. */
  body: z.unknown().optional(),
  /** Where the records are in the response: `results`, `data`, `tickets`; '' for a bare array. */
  recordsPath: jsonPath.default(''),
});

export const DeletesSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  /** A deleted-records endpoint (HubSpot `archived=true`). Records there become delete changes. */
  z.object({
    type: z.literal('endpoint'),
    request: RequestSpecSchema,
    pagination: PaginationSchema.default({ type: 'none' }),
    /** When the record was deleted (e.g. `archivedAt`); the sourceTime and version of the delete. */
    timeField: z.string().optional(),
  }),
  /** Records in the normal feed marked deleted (Zendesk incremental export `status: deleted`). */
  z.object({ type: z.literal('field'), field: z.string().min(1), equals: z.union([z.string(), z.boolean(), z.number()]) }),
  /** Read every key each poll; a key that disappeared becomes a delete (Stripe-like lists without a deleted feed). */
  z.object({ type: z.literal('reconcile') }),
]);

export const WriteEndpointSchema = z.object({ method: httpMethod, path: urlPath, query });

export const WriteSpecSchema = z.object({
  encoding: z.enum(['json', 'form']).default('json'),
  /** Wrap the fields in an object under this name: `properties` (HubSpot), `ticket` (Zendesk). */
  wrap: z.string().optional(),
  /** Where the written record's key is in the response (`id`, `ticket.id`). */
  responseKeyPath: jsonPath.default('id'),
  create: WriteEndpointSchema.optional(),
  /** Uses `{key}` for the record's key. */
  update: WriteEndpointSchema.optional(),
  /** One call that creates or updates by the record's own key fields (Shopify `inventory_levels/set`). */
  upsert: WriteEndpointSchema.optional(),
  delete: WriteEndpointSchema.optional(),
  /** Header carrying WriteOp.idempotencyKey (Stripe `Idempotency-Key`). */
  idempotencyHeader: z.string().default('Idempotency-Key'),
});

export const EntitySpecSchema = z
  .object({
    name,
    label: z.string().max(80).optional(),
    /** One field, or several (joined with ":" into `keyField`). */
    primaryKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(2)]),
    /** The key's field name when primaryKey has several parts. */
    keyField: z.string().optional(),
    /** The record's fields sit under this path of the record (HubSpot `properties`); the key stays at the top. */
    fieldsPath: jsonPath.default(''),
    fields: z.array(FieldSpecSchema).min(1, 'list at least the key field'),
    /** When the record last changed: the poll cursor, the record version and the change's sourceTime. */
    cursorField: z.string().optional(),
    cursorFormat: timeFormat.default('auto'),
    read: z
      .object({
        request: RequestSpecSchema,
        pagination: PaginationSchema.default({ type: 'none' }),
        /** Server-side filter "changed since": the query parameter and its time format. Without it the filter is applied here. */
        since: z.object({ param: z.string().min(1), format: timeFormat.default('iso') }).optional(),
        /** Re-read this far behind the cursor so records committed late with an older timestamp are not missed. */
        overlapMs: z.number().int().min(0).max(86_400_000).default(60_000),
        deletes: DeletesSchema.default({ type: 'none' }),
      })
      .optional(),
    /** Read one record by key (`{key}`); readByKeys uses it. */
    get: RequestSpecSchema.extend({ recordsPath: jsonPath.default('') }).optional(),
    /** Find records by a field (`{field}`, `{value}`); without it findByField scans the list. */
    find: RequestSpecSchema.optional(),
    write: WriteSpecSchema.optional(),
  })
  .superRefine((e, ctx) => {
    if (Array.isArray(e.primaryKey) && !e.keyField) {
      ctx.addIssue({ code: 'custom', path: ['keyField'], message: 'a composite primaryKey needs keyField, the name of the joined key (e.g. "id")' });
    }
    const names = new Set(e.fields.map((f) => f.name));
    for (const k of Array.isArray(e.primaryKey) ? e.primaryKey : [e.primaryKey]) {
      if (!names.has(k)) ctx.addIssue({ code: 'custom', path: ['primaryKey'], message: `the key field "${k}" is not in fields` });
    }
    if (e.cursorField && !names.has(e.cursorField)) {
      ctx.addIssue({ code: 'custom', path: ['cursorField'], message: `the cursor field "${e.cursorField}" is not in fields` });
    }
    if (e.write && !e.write.create && !e.write.upsert && !e.write.update && !e.write.delete) {
      ctx.addIssue({ code: 'custom', path: ['write'], message: 'write needs at least one of create, update, upsert, delete' });
    }
  });
export type EntitySpec = z.infer<typeof EntitySpecSchema>;

/** How one kind of webhook event becomes a change. The first route whose `when` matches wins. */
export const WebhookRouteSchema = z
  .object({
    when: z.object({ path: jsonPath, equals: z.union([z.string(), z.array(z.string()).min(1)]) }).optional(),
    entity: name.optional(),
    /** Read the entity name from the payload instead (the generic envelope). */
    entityPath: jsonPath.optional(),
    op: z.enum(['upsert', 'delete']).optional(),
    /** Read the op from the payload ('upsert' | 'delete'). */
    opPath: jsonPath.optional(),
    recordPath: jsonPath.default(''),
    /** The event's own time (Stripe `created`); used when the record has no cursorField. */
    timePath: jsonPath.optional(),
    timeFormat: timeFormat.default('auto'),
  })
  .superRefine((r, ctx) => {
    if (!r.entity === !r.entityPath) ctx.addIssue({ code: 'custom', path: ['entity'], message: 'give exactly one of entity or entityPath' });
    if (!r.op === !r.opPath) ctx.addIssue({ code: 'custom', path: ['op'], message: 'give exactly one of op or opPath' });
  });
export type WebhookRoute = z.infer<typeof WebhookRouteSchema>;

export const WebhookSpecSchema = z.object({
  signature: SignatureSchemeSchema,
  /** Where the delivery id is: a header (preferred) or a body path (Stripe `id`). */
  deliveryId: z.object({ header: z.string().optional(), path: jsonPath.optional() }).refine((d) => d.header || d.path, 'give deliveryId.header or deliveryId.path'),
  routes: z.array(WebhookRouteSchema).min(1),
});
export type WebhookSpec = z.infer<typeof WebhookSpecSchema>;

/** The definition's fields without the cross-checks; "Any REST API" extends it (see rest/definition.ts). */
export const DefinitionObjectSchema = z.object({
    /** Format version of this document. */
    version: z.literal(1),
    name,
    label: z.string().min(1).max(80),
    description: z.string().max(500).default(''),
    /** May use `{config.x}` placeholders, e.g. "https://{config.shop}.myshopify.com". */
    baseUrl: z.string().min(1).max(300),
    auth: AuthSchema.default({ type: 'none' }),
    headers: z.record(z.string(), z.string()).default({}),
    /** Our own writes carry this header so their echo can be recognised when it comes back. */
    originHeader: z.string().default('X-SyncCanvas-Origin'),
    /** Sign outbound writes with the webhook scheme (only when the `signingSecret` secret is set). */
    signOutbound: SignatureSchemeSchema.optional(),
    entities: z.array(EntitySpecSchema).min(1, 'define at least one entity'),
    webhook: WebhookSpecSchema.optional(),
});

/** Entity names are unique, and webhook routes name defined entities. */
export function checkDefinition(d: Pick<z.output<typeof DefinitionObjectSchema>, 'entities' | 'webhook'>, ctx: z.RefinementCtx): void {
    const seen = new Set<string>();
    d.entities.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: ['entities', i, 'name'], message: `the entity "${e.name}" is defined twice` });
      seen.add(e.name);
    });
    d.webhook?.routes.forEach((r, i) => {
      if (r.entity && !seen.has(r.entity)) {
        ctx.addIssue({ code: 'custom', path: ['webhook', 'routes', i, 'entity'], message: `no entity named "${r.entity}"; define it under entities` });
      }
    });
}

export const DefinitionSchema = DefinitionObjectSchema.superRefine(checkDefinition);
export type Definition = z.infer<typeof DefinitionSchema>;
export type DefinitionInput = z.input<typeof DefinitionSchema>;

/** The key field name an entity's records expose (the joined name for composite keys). */
export function entityKeyField(e: EntitySpec): string {
  return Array.isArray(e.primaryKey) ? e.keyField! : e.primaryKey;
}
