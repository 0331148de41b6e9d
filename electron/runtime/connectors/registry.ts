import type { ConnectorDefinition } from './types.js';
import { sqliteConnector } from './sqlite/definition.js';
import { webhookConnector } from './webhook/definition.js';
import { restConnector } from './rest/definition.js';
import { vendorConnectors } from './definitions/vendor-connectors.js';
import { postgresConnector } from './postgres/definition.js';
import { jsonlConnector } from './jsonl/definition.js';
import { natsConnector } from './nats/definition.js';
import { redisStreamsConnector } from './redis-streams/definition.js';
import { rabbitMqConnector } from './rabbitmq/definition.js';

/** Every connector kind the runtime knows, by `kind`. Add new kinds here. */
const definitions: ConnectorDefinition<any>[] = [sqliteConnector];
definitions.push(webhookConnector, restConnector, ...vendorConnectors);
definitions.push(postgresConnector);
definitions.push(jsonlConnector);
definitions.push(natsConnector, redisStreamsConnector, rabbitMqConnector);

export function connectorDefinitions(): readonly ConnectorDefinition<any>[] {
  return definitions;
}

export function findConnector(kind: string): ConnectorDefinition<any> | undefined {
  return definitions.find((d) => d.kind === kind);
}
