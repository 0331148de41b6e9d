import type { Connector, ConnectorDefinition } from '../types.js';
import { queueRecordReads } from '../queue/recent-reads.js';
import { NatsClient } from './client.js';
import { NatsConfigSchema, type NatsConfig } from './config.js';
import { startNatsCapture } from './capture.js';
import { testNatsConnection } from './connection-test.js';
import { natsChoices } from './choices.js';
import { defaultConsumer } from './stream-setup.js';
import { NatsWriter } from './writer.js';

/** NATS JetStream: a stream as a source (durable pull consumer) and as a sink (deduplicated publishes). */
export const natsConnector: ConnectorDefinition<NatsConfig> = {
  kind: 'nats',
  label: 'NATS JetStream',
  description: 'Reads a JetStream stream with a durable consumer (acked after the inbox commit) and publishes changes with Nats-Msg-Id deduplication.',
  configSchema: NatsConfigSchema,
  secretFields: [
    { name: 'password', label: 'Password', description: 'With the user name in the settings.' },
    { name: 'token', label: 'Token', description: 'A server auth token, instead of user and password.' },
  ],
  captureModes: ['queue'],
  pollIntervalMs: () => 0,
  create(ctx) {
    const config = ctx.config;
    const client = new NatsClient(config, ctx.secrets, `synccanvas ${ctx.flowId}/${ctx.systemId}`);
    const writer = new NatsWriter(client, config);
    const reads = queueRecordReads('NATS', config.entities);
    const { recent, entities, entity } = reads;
    const durable = config.consumer ?? defaultConsumer(ctx.flowId, ctx.systemId);
    const connector: Connector = {
      testConnection: () => testNatsConnection(client, config, durable),
      discover: reads.discover,
      readSamples: reads.readSamples,
      readByKeys: reads.readByKeys,
      findByField: reads.findByField,
      startCapture: (cctx) =>
        startNatsCapture(
          {
            client,
            config,
            systemId: ctx.systemId,
            durable,
            mapping: { routes: config.routes, entities },
            onChange: (c) => (c.op === 'delete' ? recent.forget(c.entity, c.key) : recent.remember(c.entity, { key: c.key, fields: c.fields })),
          },
          cctx,
        ),
      write: (name, ops, origin) => writer.write(entity(name), ops, origin),
      choices: (field) => natsChoices(client, config, field),
      close: () => client.close(),
    };
    return connector;
  },
};
