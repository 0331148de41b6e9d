import { FLOW_SCHEMA_VERSION, SystemSchema, type FlowDocument } from '../../../shared/flow/schema.js';
import type { ApiOutputs } from '../../../shared/api/contract.js';
import { ApiError } from '../api/handlers.js';
import type { RestConfig } from '../connectors/rest/definition.js';
import { sampleRequest } from '../connectors/rest/sample-request.js';
import { resolveSystem } from '../connectors/system-connections.js';
import type { Workspace } from '../workspace/workspace.js';

/**
 * The "Any REST API" builder's sample request: one GET through the system's own auth and base URL,
 * and the records and field types found in the answer. Nothing is stored.
 */
export async function sampleRestSystem(workspace: Workspace, system: unknown, requestPath: string): Promise<ApiOutputs['connectors.restSample']> {
  const parsed = SystemSchema.safeParse(system);
  if (!parsed.success || parsed.data.kind !== 'rest') throw new ApiError('bad_request', 'the sample request needs an "Any REST API" system');
  // A placeholder entity lets a definition without entities yet pass its schema; the request is ours.
  const config = parsed.data.config;
  const entities = Array.isArray(config.entities) && config.entities.length > 0 ? config.entities : [{ name: 'probe', primaryKey: 'id', fields: [{ name: 'id', type: 'unknown' }] }];
  const probe = { ...parsed.data, config: { ...config, entities } };
  const draft: FlowDocument = { schemaVersion: FLOW_SCHEMA_VERSION, id: 'draft', name: 'Draft', systems: [probe], syncs: [] };
  try {
    const { ctx } = await resolveSystem(draft, probe, workspace.secrets, workspace.dataDir);
    return await sampleRequest(ctx.config as RestConfig, ctx.secrets, requestPath);
  } catch (e) {
    throw new ApiError('bad_request', `The sample request did not work: ${(e as Error).message}`);
  }
}
