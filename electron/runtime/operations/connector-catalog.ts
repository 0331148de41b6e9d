import { z } from 'zod';
import type { ApiOutputs } from '../../../shared/api/contract.js';
import { connectorDefinitions } from '../connectors/registry.js';
import type { EntityInfo } from '../connectors/types.js';

/** The installed connectors, with their settings as JSON Schema for the editor's forms. */
export function connectorCatalog(): ApiOutputs['connectors.list'] {
  return connectorDefinitions().map((d) => ({
    kind: d.kind,
    label: d.label,
    description: d.description,
    configJsonSchema: safeJsonSchema(d.configSchema),
    secretFields: d.secretFields,
    captureModes: d.captureModes,
  }));
}

/** What the API shows of discovered entities (no connector-private detail). */
export function entitiesForApi(entities: readonly EntityInfo[]): ApiOutputs['connectors.discover'] {
  return { entities: entities.map((e) => ({ name: e.name, keyField: e.keyField, fields: e.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, primaryKey: f.primaryKey })) })) };
}

function safeJsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}
