import type { Connector, ConnectorDefinition } from '../types.js';
import { queueRecordReads } from '../queue/recent-reads.js';
import { AmqpClient } from './client.js';
import { defaultQueue, RabbitMqConfigSchema, type RabbitMqConfig } from './config.js';
import { startRabbitCapture } from './capture.js';
import { testRabbitConnection } from './connection-test.js';
import { RabbitMqWriter } from './writer.js';

/** RabbitMQ: a durable queue as a source (manual acks after the inbox commit), a topic exchange as a sink (publisher confirms). */
export const rabbitMqConnector: ConnectorDefinition<RabbitMqConfig> = {
  kind: 'rabbitmq',
  label: 'RabbitMQ',
  description: 'Consumes a durable queue with manual acks after the inbox commit and publishes changes with publisher confirms and a stable message-id.',
  configSchema: RabbitMqConfigSchema,
  secretFields: [{ name: 'password', label: 'Password', description: 'The password of the user in the settings.' }],
  captureModes: ['queue'],
  pollIntervalMs: () => 0,
  create(ctx) {
    const config = ctx.config;
    const client = new AmqpClient(config, ctx.secrets);
    const writer = new RabbitMqWriter(client, config);
    const reads = queueRecordReads('RabbitMQ', config.entities);
    const { recent, entities, entity } = reads;
    const queue = config.queue ?? defaultQueue(ctx.flowId, ctx.systemId);
    const connector: Connector = {
      testConnection: () => testRabbitConnection(client, config, queue),
      discover: reads.discover,
      readSamples: reads.readSamples,
      readByKeys: reads.readByKeys,
      findByField: reads.findByField,
      startCapture: (cctx) =>
        startRabbitCapture(
          {
            client,
            config,
            systemId: ctx.systemId,
            queue,
            entities: cctx.entities.length ? cctx.entities : config.entities.map((e) => e.name),
            mapping: { routes: config.routes, entities },
            onChange: (c) => (c.op === 'delete' ? recent.forget(c.entity, c.key) : recent.remember(c.entity, { key: c.key, fields: c.fields })),
          },
          cctx,
        ),
      write: (name, ops, origin) => writer.write(entity(name), ops, origin),
      close: () => client.close(),
    };
    return connector;
  },
};
