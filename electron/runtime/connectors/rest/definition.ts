import { z } from 'zod';
import type { ConnectorDefinition } from '../types.js';
import { DefinitionSchema } from '../definitions/format.js';
import { ConnectionOptionsSchema, createDefinitionConnector, definitionPollIntervalMs } from './definition-connector.js';

/** "Any REST API": the config is a definition document (docs/connectors/definitions.md) plus how to connect. */
export const RestConfigSchema = DefinitionSchema.safeExtend({ connection: ConnectionOptionsSchema.default(() => ConnectionOptionsSchema.parse({})) });
export type RestConfig = z.infer<typeof RestConfigSchema>;

export const restConnector: ConnectorDefinition<RestConfig> = {
  kind: 'rest',
  label: 'Any REST API',
  description: 'Any JSON-over-HTTP API described by a declarative definition: auth, entities, pagination, cursor, writes and webhooks.',
  configSchema: RestConfigSchema,
  // Static list: a definition names its secrets; these are the names the docs recommend.
  secretFields: [
    { name: 'token', label: 'Bearer token' },
    { name: 'apiKey', label: 'API key' },
    { name: 'password', label: 'Password (basic auth)' },
    { name: 'clientSecret', label: 'OAuth2 client secret' },
    { name: 'signingSecret', label: 'Webhook signing secret' },
    { name: 'outboundSigningSecret', label: 'Outbound signing secret' },
  ],
  captureModes: ['poll', 'webhook'],
  pollIntervalMs: (config) => definitionPollIntervalMs(config.connection),
  create(ctx) {
    const { connection, ...definition } = ctx.config;
    return createDefinitionConnector(definition, connection, ctx);
  },
};
