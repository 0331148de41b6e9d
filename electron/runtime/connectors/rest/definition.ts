import { z } from 'zod';
import type { ConnectorDefinition } from '../types.js';
import { checkDefinition, DefinitionObjectSchema } from '../definitions/format.js';
import { ConnectionOptionsSchema, createDefinitionConnector, definitionPollIntervalMs } from './definition-connector.js';

/** "Any REST API": the config is a definition document (docs/connectors/definitions.md) plus how to connect. */
export const RestConfigSchema = DefinitionObjectSchema.extend({
  // Set here, not asked: the form has one Name (the system's), and the format version is this build's.
  version: z.literal(1).default(1),
  name: z.string().min(1).max(128).default('rest-api').meta({ title: 'Definition id', description: 'An internal name for this API description; the system name above is what you see.' }),
  label: z.string().min(1).max(80).default('REST API').meta({ title: 'API label' }),
  connection: ConnectionOptionsSchema.default(() => ConnectionOptionsSchema.parse({})),
}).superRefine(checkDefinition);
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
    { name: 'signingSecret', label: 'Webhook signing secret', advanced: true },
    { name: 'outboundSigningSecret', label: 'Outbound signing secret', advanced: true },
  ],
  captureModes: ['poll', 'webhook'],
  pollIntervalMs: (config) => definitionPollIntervalMs(config.connection),
  create(ctx) {
    const { connection, ...definition } = ctx.config;
    return createDefinitionConnector(definition, connection, ctx);
  },
};
