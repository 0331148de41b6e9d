import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DATA_KEY_FILE, DATA_KEY_SECRET, loadDataKey } from './data-key.js';
import { createSecretChain } from './default-chain.js';
import { KeychainSecretStore } from './keychain-store.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-datakey-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const noKeychain = () => new KeychainSecretStore({ service: 'SyncCanvasTest', loadKeytar: async () => Promise.reject(new Error('no D-Bus session')), platform: 'linux' });
const VAULT_KEY = 'a master key that is long enough';

describe('the workspace data key', () => {
  it('is made on first use and kept in the writable provider (the vault on a server), then found again', async () => {
    const ws = tmp();
    const chain = await createSecretChain({ env: { SYNCCANVAS_VAULT_KEY: VAULT_KEY }, workspaceDir: ws, keychain: noKeychain() });
    const made = (await loadDataKey(chain, ws, { create: true }))!;
    expect(made).toMatchObject({ weak: false, where: expect.stringContaining('vault') });
    expect(made.key).toHaveLength(32);
    expect(Buffer.from((await chain.get(DATA_KEY_SECRET))!, 'base64')).toEqual(made.key);
    expect(fs.existsSync(path.join(ws, DATA_KEY_FILE))).toBe(false);
    expect((await loadDataKey(chain, ws, { create: true }))!.key).toEqual(made.key);
  });

  it('given as an environment variable it is used as is and nothing is written', async () => {
    const ws = tmp();
    const key = randomBytes(32);
    const chain = await createSecretChain({ env: { SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY: key.toString('base64') }, workspaceDir: ws, keychain: noKeychain() });
    expect(await loadDataKey(chain, ws, { create: true })).toMatchObject({ key, weak: false });
    expect(fs.readdirSync(ws)).toEqual([]);
  });

  it('with no keychain and no vault: a 0600 key file in the workspace, said to be weaker, found again', async () => {
    const ws = tmp();
    const chain = await createSecretChain({ env: {}, workspaceDir: ws, keychain: noKeychain() });
    expect(await loadDataKey(chain, ws, { create: false })).toBeNull();
    const made = (await loadDataKey(chain, ws, { create: true }))!;
    expect(made).toMatchObject({ weak: true, where: path.join(ws, DATA_KEY_FILE) });
    expect(fs.statSync(path.join(ws, DATA_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect((await loadDataKey(chain, ws, { create: false }))!.key).toEqual(made.key);
  });

  it('does not replace a key it cannot read while sealed data exists, and refuses a malformed key', async () => {
    const ws = tmp();
    const chain = await createSecretChain({ env: {}, workspaceDir: ws, keychain: noKeychain() });
    await expect(loadDataKey(chain, ws, { create: true, sealedDataExists: true })).rejects.toThrow(/holds encrypted customer data but its data key .* was not found in .*\(.*no D-Bus session.*\): restore it/);
    expect(fs.readdirSync(ws)).toEqual([]);
    // Deleted from every store (or given in another environment): nothing is made in its place.
    const vault = await createSecretChain({ env: { SYNCCANVAS_VAULT_KEY: VAULT_KEY }, workspaceDir: ws, keychain: noKeychain() });
    await expect(loadDataKey(vault, ws, { create: true, sealedDataExists: true })).rejects.toThrow(/holds encrypted customer data but its data key .* was not found in SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY.*: restore it/);
    expect((await vault.lookup(DATA_KEY_SECRET)).source).toBeNull();
    const bad = await createSecretChain({ env: { SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY: 'too short' }, workspaceDir: ws, keychain: noKeychain() });
    await expect(loadDataKey(bad, ws, { create: true })).rejects.toThrow(/not 32 bytes of base64/);
  });
});
