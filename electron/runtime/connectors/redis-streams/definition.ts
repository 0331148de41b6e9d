import type { Connector, ConnectorDefinition } from '../types.js';
import { queueRecordReads } from '../queue/recent-reads.js';
import { closeClient, redisClient } from './client.js';
import { defaultGroup, RedisStreamsConfigSchema, type RedisStreamsConfig } from './config.js';
import { startRedisCapture } from './capture.js';
import { testRedisConnection } from './connection-test.js';
import { redisChoices } from './choices.js';
import { writeRedisStreams } from './writer.js';

/** Redis Streams: a stream per entity, read with a consumer group, written with guarded XADDs. */
export const redisStreamsConnector: ConnectorDefinition<RedisStreamsConfig> = {
  kind: 'redis-streams',
  label: 'Redis Streams',
  description: 'Reads Redis streams with a consumer group (XACK after the inbox commit) and appends changes with XADD guarded against a re-send.',
  configSchema: RedisStreamsConfigSchema,
  secretFields: [{ name: 'password', label: 'Password', description: 'The Redis password (AUTH), with the ACL user in the settings if any.' }],
  captureModes: ['queue'],
  pollIntervalMs: () => 0,
  create(ctx) {
    const config = ctx.config;
    const client = redisClient(config, ctx.secrets);
    const reads = queueRecordReads('Redis', config.entities);
    const { recent, entities, entity } = reads;
    const group = config.group ?? defaultGroup(ctx.flowId, ctx.systemId);
    const connector: Connector = {
      testConnection: () => testRedisConnection(client, config, group),
      discover: reads.discover,
      readSamples: reads.readSamples,
      readByKeys: reads.readByKeys,
      findByField: reads.findByField,
      startCapture: (cctx) =>
        startRedisCapture(
          {
            // A connection of its own (XREADGROUP blocks it), failing fast and error-listened like the writer's.
            client: redisClient(config, ctx.secrets),
            config,
            systemId: ctx.systemId,
            group,
            entities: cctx.entities.length ? cctx.entities : config.entities.map((e) => e.name),
            mapping: { routes: config.routes, entities },
            onChange: (c) => (c.op === 'delete' ? recent.forget(c.entity, c.key) : recent.remember(c.entity, { key: c.key, fields: c.fields })),
          },
          cctx,
        ),
      write: (name, ops, origin) => writeRedisStreams(client, config, entity(name), ops, origin),
      choices: (field) => redisChoices(client, config, field),
      close: () => closeClient(client),
    };
    return connector;
  },
};
