import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { restConnector } from '../rest/definition.js';
import { DefinitionError, loadDefinition } from './load.js';
import { shippedDefinitions } from './vendor-connectors.js';

const minimal = `
version: 1
name: tiny
label: Tiny
baseUrl: https://api.example.com
entities:
  - name: things
    primaryKey: id
    fields: [{ name: id, type: string }]
`;

describe('definition format', () => {
  it('loads YAML and JSON alike, filling defaults', () => {
    const d = loadDefinition(minimal);
    expect(d.auth).toEqual({ type: 'none' });
    expect(d.originHeader).toBe('X-SyncCanvas-Origin');
    expect(loadDefinition(JSON.stringify(d))).toEqual(d);
  });

  it('names each problem by its path and says what to write', () => {
    const bad = minimal.replace('primaryKey: id', 'primaryKey: uuid').replace('version: 1', 'version: 1\nauth: { type: bearer, tokenSecret: "1 bad" }');
    let msg = '';
    try {
      loadDefinition(bad, 'crm.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(DefinitionError);
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^crm\.yaml has problems/);
    expect(msg).toMatch(/the key field "uuid" is not in fields/);
    expect(msg).toMatch(/entities\[0\]\.primaryKey|entities\.0\.primaryKey/);
    expect(msg).toMatch(/auth\.tokenSecret/);
    expect(() => loadDefinition('entities: [: bad')).toThrow(/not valid YAML\/JSON/);
    expect(() => loadDefinition(minimal.replace('https://api.example.com', 'https://x\nwebhook: { signature: { scheme: stripe }, deliveryId: { path: id }, routes: [{ entity: orders, op: upsert }] }'))).toThrow(/no entity named "orders"/);
    expect(() => loadDefinition(minimal.replace('primaryKey: id', 'primaryKey: [id, id2]'))).toThrow(/composite primaryKey needs keyField/);
  });

  it('ships four valid vendor definitions', () => {
    expect(Object.values(shippedDefinitions).map((d) => [d.name, d.entities[0]!.name])).toEqual([
      ['hubspot', 'contacts'],
      ['stripe', 'customers'],
      ['zendesk', 'tickets'],
      ['shopify', 'inventory_levels'],
    ]);
  });

  it('accepts the full example in docs/connectors/definitions.md as an "Any REST API" config', async () => {
    const doc = readFileSync(new URL('../../../../docs/connectors/definitions.md', import.meta.url), 'utf8');
    const block = /## A full example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeTruthy();
    const config = restConnector.configSchema.parse(parseYaml(block!));
    expect(config.entities.map((e) => e.name)).toEqual(['customers', 'orders']);
    expect(config.connection.webhook).toMatchObject({ enabled: true, port: 8790 });
    const connector = restConnector.create({ config, secrets: { token: 't' }, flowId: 'f', systemId: 's', dataDir: '/nonexistent' });
    expect((await connector.discover()).map((e) => e.keyField)).toEqual(['id', 'number']);
    await connector.close();
  });
});
