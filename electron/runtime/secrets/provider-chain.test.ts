import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretChain } from './default-chain.js';
import { envNameOf } from './env-provider.js';
import { FolderSecretProvider } from './folder-provider.js';
import { KeychainSecretStore } from './keychain-store.js';
import { SecretUnavailableError } from './secret-store.js';
import { VaultSecretProvider } from './vault-provider.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-secrets-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A keychain that cannot be reached, as on a server with no Secret Service. */
const noKeychain = () => new KeychainSecretStore({ service: 'SyncCanvasTest', loadKeytar: async () => Promise.reject(new Error('no D-Bus session')), platform: 'linux' });
const KEY = 'a master key that is long enough';

describe('secret providers', () => {
  it('environment: SYNCCANVAS_SECRET_<NAME>, upper case with other characters as _', async () => {
    expect(envNameOf('crm/db-password.v2')).toBe('SYNCCANVAS_SECRET_CRM_DB_PASSWORD_V2');
    const chain = await createSecretChain({ env: { SYNCCANVAS_SECRET_CRM_PASSWORD: 'from-env' }, workspaceDir: tmp(), keychain: noKeychain() });
    expect(await chain.get('crm/password')).toBe('from-env');
    expect(await chain.lookup('crm/password')).toMatchObject({ source: 'environment', where: 'SYNCCANVAS_SECRET_CRM_PASSWORD' });
  });

  it('folder: one file per secret, a trailing newline dropped, subfolders for "/", nothing outside the folder', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'crm'));
    fs.writeFileSync(path.join(dir, 'crm', 'password'), 'from-file\n');
    fs.writeFileSync(path.join(dir, 'token'), 'line1\nline2');
    fs.writeFileSync(path.join(path.dirname(dir), 'outside'), 'must not be read');
    const folder = new FolderSecretProvider(dir);
    expect(await folder.get('crm/password')).toBe('from-file');
    expect(await folder.get('token')).toBe('line1\nline2');
    expect(await folder.get('../outside')).toBeNull();
    expect(await folder.get('crm/../../outside')).toBeNull();
    expect(await folder.list()).toEqual(['crm/password', 'token']);
    fs.rmSync(path.join(path.dirname(dir), 'outside'));
  });

  it('vault: values are encrypted on disk, survive a new process, and a wrong key is named as such', async () => {
    const file = path.join(tmp(), 'secrets.vault');
    const vault = new VaultSecretProvider(file, KEY);
    await vault.set('crm/password', 'hunter2-very-secret');
    await vault.set('stripe/key', 'sk_test_123');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('sk_test_123');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const again = new VaultSecretProvider(file, KEY);
    expect(await again.get('crm/password')).toBe('hunter2-very-secret');
    expect(await again.list()).toEqual(['crm/password', 'stripe/key']);
    expect(await again.delete('stripe/key')).toBe(true);
    expect(await again.get('stripe/key')).toBeNull();
    const wrong = new VaultSecretProvider(file, 'another key, long enough too');
    expect((await wrong.status()).available).toBe(false);
    await expect(wrong.get('crm/password')).rejects.toThrow(/does not open the vault/);
    await expect(wrong.set('x', 'y')).rejects.toThrow(/does not open the vault/);
    expect(await again.get('crm/password')).toBe('hunter2-very-secret');
  });

  it('the chain asks environment, folder, vault, keychain in that order, and stores in the vault when one is set', async () => {
    const ws = tmp();
    const folder = tmp();
    fs.writeFileSync(path.join(folder, 'both'), 'from-folder');
    fs.writeFileSync(path.join(folder, 'only-folder'), 'folder-value');
    const env = { SYNCCANVAS_SECRET_BOTH: 'from-env', SYNCCANVAS_SECRETS_DIR: folder, SYNCCANVAS_VAULT_KEY: KEY };
    const chain = await createSecretChain({ env, workspaceDir: ws, keychain: noKeychain() });
    expect((await chain.writeTarget()).id).toBe('vault');
    await chain.set('only-vault', 'vault-value');
    await chain.set('both', 'vault-shadowed');
    expect(fs.existsSync(path.join(ws, 'secrets.vault'))).toBe(true);
    expect(await chain.get('both')).toBe('from-env');
    expect(await chain.get('only-folder')).toBe('folder-value');
    expect(await chain.get('only-vault')).toBe('vault-value');
    expect((await chain.lookup('only-vault')).source).toBe('vault');
    expect((await chain.status()).available).toBe(true);
    expect((await chain.list()).map((s) => `${s.source}:${s.name}`)).toEqual(['environment:BOTH', 'folder:both', 'folder:only-folder', 'vault:both', 'vault:only-vault']);
  });

  it('with no keychain and no vault: reads from the environment still work, storing says what to do instead', async () => {
    const chain = await createSecretChain({ env: { SYNCCANVAS_SECRET_TOKEN: 't' }, workspaceDir: tmp(), keychain: noKeychain() });
    expect(await chain.get('token')).toBe('t');
    const st = await chain.status();
    expect(st.available).toBe(false);
    expect(st.message).toMatch(/keychain is unavailable/);
    expect(st.message).toMatch(/SYNCCANVAS_SECRET_<NAME>.*SYNCCANVAS_SECRETS_DIR.*SYNCCANVAS_VAULT_KEY/);
    await expect(chain.set('x', 'y')).rejects.toThrow(SecretUnavailableError);
    // Missing everywhere that answered while the keychain could not be asked: the keychain's problem is the answer.
    await expect(chain.get('missing')).rejects.toThrow(/not found.*keychain could not be asked/);
    expect(chain.whereMissing('missing')).toMatch(/SYNCCANVAS_SECRET_MISSING, the OS keychain/);
  });
});
