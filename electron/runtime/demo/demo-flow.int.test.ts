import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from '../../../shared/flow/schema.js';
import { parseFlowDocument } from '../../../shared/flow/validate.js';
import { sqliteConnector } from '../connectors/sqlite/definition.js';
import { DEMO_FLOW } from './demo-flow.js';
import { ensureDemoSystems } from './demo-systems.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('demo flow', () => {
  it('is a valid flow document of the current format, also after a JSON round trip', () => {
    const parsed = parseFlowDocument(JSON.parse(JSON.stringify(DEMO_FLOW)));
    expect(parsed).toMatchObject({ ok: true });
    expect(parsed.ok && parsed.flow).toEqual(DEMO_FLOW);
    expect(DEMO_FLOW.schemaVersion).toBe(FLOW_SCHEMA_VERSION);
    const sync = DEMO_FLOW.syncs[0]!;
    expect(sync).toMatchObject({
      direction: 'both',
      matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
      latency: { tier: 'real-time' },
      deletePolicy: { mode: 'hard' },
      conflictPolicy: { mode: 'newest-wins' },
    });
    expect(Object.fromEntries(sync.fields.map((f) => [f.a, f.owner]))).toEqual({
      email: 'a',
      first_name: 'a',
      last_name: 'a',
      phone: 'a',
      plan: 'b',
      payment_status: 'b',
    });
  });

  it('points at the seeded databases: every system connects and every mapped field is a column', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-demo-'));
    dir = folder;
    ensureDemoSystems(folder);
    const entities = new Map<string, Map<string, string[]>>();
    for (const system of DEMO_FLOW.systems) {
      expect(system.kind).toBe('sqlite');
      const config = sqliteConnector.configSchema.parse(system.config);
      const connector = sqliteConnector.create({ config, secrets: {}, flowId: DEMO_FLOW.id, systemId: system.id, dataDir: folder });
      expect((await connector.testConnection()).ok).toBe(true);
      entities.set(system.id, new Map((await connector.discover()).map((e) => [e.name, e.fields.map((f) => f.name)])));
      await connector.close();
    }
    for (const sync of DEMO_FLOW.syncs) {
      const aFields = entities.get(sync.a.system)!.get(sync.a.entity)!;
      const bFields = entities.get(sync.b.system)!.get(sync.b.entity)!;
      for (const f of sync.fields) {
        expect(aFields).toContain(f.a);
        expect(bFields).toContain(f.b);
      }
      expect(aFields).toContain(sync.matchKey.a);
      expect(bFields).toContain(sync.matchKey.b);
    }
  });
});
