import type { ConnectorContext, ConnectorDefinition } from '../types.js';
import { dropCaptureResources } from './capture-resources.js';
import { postgresConfigSchema, type PostgresConfig } from './config.js';
import { PostgresConnector } from './connector.js';

export type PostgresConnectorDefinition = ConnectorDefinition<PostgresConfig> & {
  /**
   * Drop the replication slot, publication and write origin a flow's system created on the user's server.
   * The runtime calls it when a flow (or the system in it) is deleted: an abandoned slot keeps
   * WAL on the user's disk forever.
   */
  dropCaptureResources(ctx: ConnectorContext<PostgresConfig>): Promise<{ slotDropped: boolean; publicationDropped: boolean; originDropped: boolean }>;
};

export const postgresConnector: PostgresConnectorDefinition = {
  kind: 'postgres',
  label: 'PostgreSQL',
  description: 'A PostgreSQL database: changes captured from the write-ahead log (logical replication), writes as idempotent upserts.',
  configSchema: postgresConfigSchema,
  secretFields: [{ name: 'password', label: 'Password', description: 'Password of the database user.' }],
  captureModes: ['log'],
  pollIntervalMs: () => 0,
  create(ctx) {
    return new PostgresConnector({ config: ctx.config, password: ctx.secrets.password, flowId: ctx.flowId, systemId: ctx.systemId });
  },
  dropCaptureResources(ctx) {
    return dropCaptureResources({ config: ctx.config, password: ctx.secrets.password, flowId: ctx.flowId, systemId: ctx.systemId });
  },
};
