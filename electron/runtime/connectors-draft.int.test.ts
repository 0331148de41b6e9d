import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from './runtime.js';
import { MemorySecretStore } from './secrets/memory-store.js';

// The editor's draft methods: test and discover a system that is not saved in any flow yet.
describe('connectors.testDraft / connectors.discoverDraft', () => {
  let dir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-draft-'));
    runtime = await openRuntime({ workspaceDir: dir, demo: { simulate: false }, resume: false, secrets: new MemorySecretStore() });
  });
  afterAll(async () => {
    await runtime?.close({ drainMs: 0 });
    await rm(dir, { recursive: true, force: true });
  });

  const sqlite = (config: Record<string, unknown>) => ({ id: 'crm', name: 'CRM', kind: 'sqlite', config, secretRefs: {}, position: { x: 0, y: 0 } });

  it('tests a draft SQLite system against the demo database', async () => {
    const result = await runtime.api['connectors.testDraft']({ system: sqlite({ path: 'crm.db' }) });
    expect(result.ok).toBe(true);
  });

  it('reports what to fix for a draft system with invalid settings, without throwing', async () => {
    const result = await runtime.api['connectors.testDraft']({ system: sqlite({}) });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/path/);
  });

  it('rejects a draft that is not a system at all', async () => {
    await expect(runtime.api['connectors.discoverDraft']({ system: { id: '' } })).rejects.toThrow(/not valid/);
  });

  it('discovers the entities of a draft system', async () => {
    const { entities } = await runtime.api['connectors.discoverDraft']({ system: sqlite({ path: 'crm.db' }) });
    const contacts = entities.find((e) => e.name === 'contacts');
    expect(contacts?.fields.map((f) => f.name)).toContain('email');
  });
});

describe('connectors.discoverDraft on a missing database', () => {
  it('answers "unavailable" with the connector\'s own explanation', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-draft-missing-'));
    const runtime = await openRuntime({ workspaceDir: dir, resume: false, secrets: new MemorySecretStore() });
    try {
      const system = { id: 'x', name: 'X', kind: 'sqlite', config: { path: 'missing.db' } };
      await expect(runtime.api['connectors.discoverDraft']({ system })).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('missing.db') });
    } finally {
      await runtime.close({ drainMs: 0 });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
