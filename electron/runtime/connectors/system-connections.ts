import path from 'node:path';
import type { FlowDocument, SystemNode } from '../../../shared/flow/schema.js';
import { zodIssues } from '../../../shared/flow/validate.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { findConnector } from './registry.js';
import type { Connector, ConnectorContext, ConnectorDefinition } from './types.js';

export class SystemSetupError extends Error {
  constructor(
    readonly systemId: string,
    message: string,
  ) {
    super(message);
    this.name = 'SystemSetupError';
  }
}

export interface OpenedSystem {
  definition: ConnectorDefinition<unknown>;
  connector: Connector;
  config: unknown;
}

/** Resolve one system's connector definition, validated config and secrets (from the keychain). */
export async function resolveSystem(flow: FlowDocument, system: SystemNode, secrets: SecretStore, dataDir: string): Promise<{ definition: ConnectorDefinition<unknown>; ctx: ConnectorContext<unknown> }> {
  const definition = findConnector(system.kind) as ConnectorDefinition<unknown> | undefined;
  if (!definition) throw new SystemSetupError(system.id, `system "${system.name}" uses the unknown connector kind "${system.kind}": choose an installed connector`);
  const parsed = definition.configSchema.safeParse(system.config, { reportInput: true });
  if (!parsed.success) {
    const detail = zodIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new SystemSetupError(system.id, `system "${system.name}" has invalid settings — ${detail}`);
  }
  const values: Record<string, string> = {};
  for (const field of definition.secretFields) {
    const ref = system.secretRefs[field.name];
    if (!ref) continue;
    let value: string | null;
    try {
      value = await secrets.get(ref);
    } catch (e) {
      throw new SystemSetupError(system.id, `system "${system.name}" needs the secret "${ref}" (${field.label}): ${(e as Error).message}`);
    }
    if (value === null) {
      const looked = secrets.whereMissing ? ` (looked in ${secrets.whereMissing(ref)})` : '';
      throw new SystemSetupError(system.id, `system "${system.name}" needs the secret "${ref}" (${field.label}), which no secret source has${looked}: enter it in the system's settings, or run \`synccanvas secrets set ${ref}\``);
    }
    values[field.name] = value;
  }
  return { definition, ctx: { config: parsed.data, secrets: values, flowId: flow.id, systemId: system.id, dataDir: path.resolve(dataDir) } };
}

/** Create the connector of one system: validate its config with the connector's schema and resolve its secrets from the keychain. */
export async function openSystem(flow: FlowDocument, system: SystemNode, secrets: SecretStore, dataDir: string): Promise<OpenedSystem> {
  const { definition, ctx } = await resolveSystem(flow, system, secrets, dataDir);
  return { definition, connector: definition.create(ctx), config: ctx.config };
}
