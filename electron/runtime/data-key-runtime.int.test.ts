import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRuntime } from './runtime.js';
import { DATA_KEY_SECRET } from './secrets/data-key.js';
import { MemorySecretStore } from './secrets/memory-store.js';
import { SEALED_PREFIX } from './store/data-cipher.js';

/**
 * The runtime and its data key: made in the secret store on first open, used again on the next,
 * never replaced from the app, and a workspace with sealed data does not open without it.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-datakey-rt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the runtime and the workspace data key', () => {
  it('makes the key on first open, reads sealed data with it after a restart, refuses to replace it, and does not open without it', async () => {
    const secrets = new MemorySecretStore();
    const ws = path.join(dir, 'ws');
    let runtime = await openRuntime({ workspaceDir: ws, secrets, resume: false });
    const key = await secrets.get(DATA_KEY_SECRET);
    expect(Buffer.from(key!, 'base64')).toHaveLength(32);
    runtime.store.shadows.put('f', 'crm', 'contacts', '1', { fields: { email: { v: 'ann@x', t: 1, by: 'self' } } });
    expect((runtime.store.db.prepare('SELECT state FROM shadows').get() as { state: string }).state.startsWith(SEALED_PREFIX)).toBe(true);
    await expect(runtime.api['secrets.set']({ name: DATA_KEY_SECRET, value: 'another key' })).rejects.toThrow(/is the key of the workspace's encrypted customer data/);
    expect(await secrets.get(DATA_KEY_SECRET)).toBe(key);
    await runtime.close();

    runtime = await openRuntime({ workspaceDir: ws, secrets, resume: false });
    expect(runtime.store.shadows.get('f', 'crm', 'contacts', '1')!.fields.email!.v).toBe('ann@x');
    await runtime.close();

    await expect(openRuntime({ workspaceDir: ws, secrets: new MemorySecretStore(), resume: false })).rejects.toThrow(/holds encrypted customer data but its data key .* was not found/);
    // The refusal released the workspace: with the key it opens again.
    runtime = await openRuntime({ workspaceDir: ws, secrets, resume: false });
    await runtime.close();
  });
});
