import { z } from 'zod';
import { QueueMappingSchema } from '../queue/mapping-config.js';

const amqpName = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'letters, digits and "_ . : -" only');

/**
 * RabbitMQ as a source and a sink. The sink publishes each change to the topic exchange `exchange`
 * with routing key `<entity>.<key>`; the source consumes the durable queue `queue`, which SyncCanvas
 * creates and binds to `<entity>.#` of that exchange for each synced entity when `createQueue` is on.
 */
export const RabbitMqConfigSchema = QueueMappingSchema.extend({
  url: z
    .string()
    .regex(/^amqps?:\/\/[^\s]+$/, 'a URL such as amqp://127.0.0.1:5672 (amqps:// for TLS; the password is a secret)')
    .default('amqp://127.0.0.1:5672'),
  user: z.string().default('guest'),
  vhost: z.string().default('/'),
  // AMQP cannot list exchanges or queues (only the management plugin's HTTP API can): the form says so where the others have "List".
  exchange: amqpName.default('synccanvas').meta({ description: 'Typed, not listed: AMQP cannot list exchanges. Test connection checks that it exists.' }),
  /** The queue the source reads; defaults to `synccanvas.<flow id>.<system id>`. Discovery checks names typed here. */
  queue: amqpName.optional().meta({ description: 'Typed, not listed: AMQP cannot list queues. Test connection checks that it exists. Default: synccanvas.<flow id>.<system id>.' }),
  /** Declare the exchange (topic, durable) and the queue (durable), and bind them. */
  createQueue: z.boolean().default(true),
});
export type RabbitMqConfig = z.infer<typeof RabbitMqConfigSchema>;

/** Per flow and system: two flows reading one exchange each get every message (a queue of their own). */
export const defaultQueue = (flowId: string, systemId: string): string => `synccanvas.${flowId}.${systemId}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 200);
