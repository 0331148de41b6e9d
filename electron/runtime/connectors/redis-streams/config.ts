import { z } from 'zod';
import { QueueMappingSchema } from '../queue/mapping-config.js';

const keyPart = z.string().regex(/^[A-Za-z0-9_:.-]{1,100}$/, 'letters, digits and "_ : . -" only');

/**
 * Redis Streams as a source and a sink: entity E lives in the stream `<keyPrefix>:<E>`, one entry per
 * change, its JSON body in the field `bodyField`. SyncCanvas reads with a consumer group of its own.
 */
export const RedisStreamsConfigSchema = QueueMappingSchema.extend({
  url: z
    .string()
    .regex(/^rediss?:\/\/[^\s]+$/, 'a URL such as redis://127.0.0.1:6379 (rediss:// for TLS)')
    .default('redis://127.0.0.1:6379'),
  /** ACL user; the password is the `password` secret. */
  user: z.string().optional(),
  keyPrefix: keyPart.default('synccanvas').meta({ format: 'broker-choice' }),
  /** The entry field holding the JSON body. */
  bodyField: keyPart.default('data'),
  /** The consumer group SyncCanvas reads with; defaults to `synccanvas_<flow id>_<system id>`. */
  group: keyPart.optional().meta({ format: 'broker-choice' }),
  /**
   * How long the sink remembers a written change's id (one small key per change) to refuse a
   * re-send after a crash; longer than any outage the runtime may be down for.
   */
  sentMemorySec: z.number().int().min(60).max(90 * 86_400).default(7 * 86_400),
});
export type RedisStreamsConfig = z.infer<typeof RedisStreamsConfigSchema>;

export const streamKey = (config: RedisStreamsConfig, entity: string): string => `${config.keyPrefix}:${entity}`;
/** Per flow and system: two flows reading one stream each get every entry (a group of their own). */
export const defaultGroup = (flowId: string, systemId: string): string => `synccanvas_${flowId}_${systemId}`.replace(/[^A-Za-z0-9_:.-]/g, '_').slice(0, 100);
