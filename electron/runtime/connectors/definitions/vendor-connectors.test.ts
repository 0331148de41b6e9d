import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RestConfigSchema } from '../rest/definition.js';
import { connectionSchemaFor, definitionVars, shippedDefinitions } from './vendor-connectors.js';

describe('connection settings of the shipped definitions', () => {
  it('name the placeholders each definition uses', () => {
    expect(definitionVars(shippedDefinitions.hubspot)).toEqual([]);
    expect(definitionVars(shippedDefinitions.shopify)).toEqual(['shop', 'locationIds']);
    expect(definitionVars(shippedDefinitions.zendesk)).toEqual(['subdomain', 'email']);
  });

  it('ask for them as required text settings, with what is missing said before any request', () => {
    const schema = connectionSchemaFor(shippedDefinitions.zendesk);
    const missing = schema.safeParse({ vars: { subdomain: '  ' } });
    expect(missing.success).toBe(false);
    expect(z.prettifyError(missing.error!)).toContain('fill in subdomain: Zendesk');
    expect(z.prettifyError(missing.error!)).toContain('fill in email');
    expect(schema.parse({ vars: { subdomain: 'acme', email: 'ops@acme.io' } }).vars).toEqual({ subdomain: 'acme', email: 'ops@acme.io' });
    const json = z.toJSONSchema(schema, { io: 'input' }) as unknown as { properties: { vars: { properties: Record<string, unknown>; required: string[] } } };
    expect(Object.keys(json.properties.vars.properties)).toEqual(['subdomain', 'email']);
    expect(json.properties.vars.required).toEqual(['subdomain', 'email']);
  });
});

describe('Any REST API settings', () => {
  it('need no version and no second name: both are set internally', () => {
    const parsed = RestConfigSchema.parse({ baseUrl: 'https://api.example.com', entities: [{ name: 'items', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }] }] });
    expect(parsed).toMatchObject({ version: 1, name: 'rest-api', label: 'REST API' });
    const json = z.toJSONSchema(RestConfigSchema, { io: 'input', unrepresentable: 'any' }) as unknown as { required: string[] };
    expect(json.required.sort()).toEqual(['baseUrl', 'entities']);
  });
});
