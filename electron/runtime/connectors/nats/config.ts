import { z } from 'zod';
import { QueueMappingSchema } from '../queue/mapping-config.js';

const natsName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-" only (at most 64)');

/**
 * A NATS JetStream stream as a source and a sink. SyncCanvas publishes each record's changes to
 * `<subjectPrefix>.<entity>.<key>` and consumes `<subjectPrefix>.>` (or `filterSubject`) through a
 * durable pull consumer of its own.
 */
export const NatsConfigSchema = QueueMappingSchema.extend({
  /** One or more server URLs, comma-separated. */
  servers: z
    .string()
    .min(1)
    .default('nats://127.0.0.1:4222')
    .refine((s) => s.split(',').every((u) => /^(nats|tls):\/\/[^\s/]+$/.test(u.trim()) || /^[^\s/:]+:\d+$/.test(u.trim())), 'server URLs such as nats://127.0.0.1:4222, comma-separated'),
  /** With the `password` secret; or leave empty and set the `token` secret, or neither. */
  user: z.string().optional(),
  stream: natsName.default('SYNCCANVAS').meta({ format: 'broker-choice' }),
  subjectPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'subject tokens such as "synccanvas" or "acme.crm", no wildcards')
    .default('synccanvas'),
  /** What the source consumes; defaults to `<subjectPrefix>.>`. May use wildcards. */
  filterSubject: z.string().regex(/^[^\s]+$/, 'a subject such as "orders.>"').optional(),
  /** The durable consumer SyncCanvas reads with; defaults to `synccanvas_<flow id>_<system id>`. */
  consumer: natsName.optional().meta({ format: 'broker-choice' }),
  /** Create the stream (subjects `<subjectPrefix>.>`, file storage) when it does not exist. */
  createStream: z.boolean().default(true),
  /** The stream's Nats-Msg-Id window for a stream SyncCanvas creates; a re-send within it is dropped by the server. */
  duplicateWindowSec: z.number().int().min(1).max(7 * 86_400).default(600),
  /** How long the server waits for our ack before redelivering (a redelivery is then dropped as a duplicate). */
  ackWaitSec: z.number().int().min(5).max(3600).default(60),
});
export type NatsConfig = z.infer<typeof NatsConfigSchema>;
