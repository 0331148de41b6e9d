import { z } from 'zod';
import { EntitySpecSchema, WebhookRouteSchema } from '../definitions/format.js';
import { SignatureSchemeSchema } from './signature.js';

/** The generic envelope: `{ id, entity, op: "upsert"|"delete", record: {…}, occurredAt? }`. */
export const GENERIC_ENVELOPE_ROUTE = { entityPath: 'entity', opPath: 'op', recordPath: 'record', timePath: 'occurredAt' } as const;

/** Where and how the receiver listens; shared by the generic webhook kind and definition-based kinds. */
export const ListenSchema = z.object({
  /** 127.0.0.1 unless a tunnel or reverse proxy on another interface must reach it. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(8787),
  path: z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, 'a path such as "/webhooks"').default('/webhooks'),
  maxBodyBytes: z.number().int().min(1024).max(32 * 1024 * 1024).default(1024 * 1024),
  /** How far a signature timestamp may be from now, both ways. */
  toleranceSec: z.number().int().min(10).max(3600).default(300),
  /**
   * How long deliveries signed without a timestamp (github, shopify, body-hmac) are remembered:
   * their signature never goes stale, so only this memory refuses a replay.
   */
  replayWindowSec: z.number().int().min(3600).max(30 * 86_400).default(3 * 86_400),
});
export type ListenConfig = z.infer<typeof ListenSchema>;

export const WebhookConfigSchema = ListenSchema.extend({
  signature: SignatureSchemeSchema.default({
    scheme: 'hmac',
    signatureHeader: 'X-SyncCanvas-Signature',
    timestampHeader: 'X-SyncCanvas-Timestamp',
    prefix: 'sha256=',
    encoding: 'hex',
    separator: '.',
    timestampFormat: 'unix',
  }),
  deliveryId: z
    .object({ header: z.string().optional(), path: z.string().optional() })
    .refine((d) => d.header || d.path, 'give deliveryId.header or deliveryId.path')
    .default({ header: 'X-SyncCanvas-Delivery', path: 'id' }),
  entities: z.array(EntitySpecSchema).min(1, 'declare the entities this webhook sends (name, primaryKey, fields)'),
  routes: z.array(WebhookRouteSchema).min(1).default([{ ...GENERIC_ENVELOPE_ROUTE, recordPath: 'record', timeFormat: 'auto' }]),
});
export type WebhookConfig = z.infer<typeof WebhookConfigSchema>;
