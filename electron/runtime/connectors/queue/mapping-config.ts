import { z } from 'zod';
import { EntitySpecSchema, WebhookRouteSchema } from '../definitions/format.js';
import { GENERIC_ENVELOPE_ROUTE } from '../webhook/config.js';

/**
 * What every queue kind declares about its messages: the entities they carry and the routes that
 * turn a message body into a change (the same routes as webhooks). The default route reads the
 * envelope SyncCanvas itself publishes: `{ id, entity, op, record, occurredAt, source }`.
 */
export const QueueMappingSchema = z.object({
  entities: z.array(EntitySpecSchema).min(1, 'declare the entities the messages carry (name, primaryKey, fields)'),
  routes: z.array(WebhookRouteSchema).min(1).default([{ ...GENERIC_ENVELOPE_ROUTE, recordPath: 'record', timeFormat: 'auto' }]),
  /** Messages per pull (JetStream batch, XREADGROUP COUNT) and at most per inbox commit; the AMQP prefetch is twice it. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
});
export type QueueMapping = z.infer<typeof QueueMappingSchema>;
