import { z } from 'zod';
import type { ConnectorDefinition } from '../types.js';
import { ConnectionOptionsSchema, createDefinitionConnector, definitionPollIntervalMs, definitionSecretFields, type ConnectionOptions } from '../rest/definition-connector.js';
import type { Definition } from './format.js';
import { loadDefinition } from './load.js';
import { hubspotContactsYaml } from './shipped/hubspot-contacts.js';
import { shopifyInventoryYaml } from './shipped/shopify-inventory.js';
import { stripeCustomersYaml } from './shipped/stripe-customers.js';
import { zendeskTicketsYaml } from './shipped/zendesk-tickets.js';

/** The definitions shipped with the app, parsed (and so validated) once at load. */
export const shippedDefinitions: Record<'hubspot' | 'stripe' | 'zendesk' | 'shopify', Definition> = {
  hubspot: loadDefinition(hubspotContactsYaml, 'the HubSpot definition'),
  stripe: loadDefinition(stripeCustomersYaml, 'the Stripe definition'),
  zendesk: loadDefinition(zendeskTicketsYaml, 'the Zendesk definition'),
  shopify: loadDefinition(shopifyInventoryYaml, 'the Shopify definition'),
};

/** The `{config.x}` placeholders a definition uses (a shop name, a subdomain…), in order of first use. */
export function definitionVars(def: Definition): string[] {
  return [...new Set([...JSON.stringify(def).matchAll(/\{config\.([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))];
}

/**
 * How to connect to one definition's API: its placeholders are named, required settings (so the form
 * asks "Shop" and "Subdomain" instead of a JSON box, and a missing one is reported before any request).
 */
export function connectionSchemaFor(def: Definition): z.ZodType<ConnectionOptions> {
  const names = definitionVars(def);
  if (names.length === 0) return ConnectionOptionsSchema;
  const vars = z.object(Object.fromEntries(names.map((n) => [n, z.string({ error: `fill in ${n}: ${def.label} uses it as {config.${n}}` }).trim().min(1, `fill in ${n}: ${def.label} uses it as {config.${n}}`)]))).catchall(z.string());
  return ConnectionOptionsSchema.extend({ vars });
}

/** A connector kind backed by a shipped definition; its config says only how to connect. */
export function definitionConnector(def: Definition): ConnectorDefinition<ConnectionOptions> {
  return {
    kind: def.name,
    label: def.label,
    description: `${def.description} Built from a declarative definition; contract-tested against a local server that follows the vendor's public API shape, not against the live service.`,
    configSchema: connectionSchemaFor(def),
    secretFields: definitionSecretFields(def),
    captureModes: def.webhook ? ['poll', 'webhook'] : ['poll'],
    pollIntervalMs: definitionPollIntervalMs,
    create: (ctx) => createDefinitionConnector(def, ctx.config, ctx),
  };
}

export const vendorConnectors: ConnectorDefinition<ConnectionOptions>[] = Object.values(shippedDefinitions).map(definitionConnector);
