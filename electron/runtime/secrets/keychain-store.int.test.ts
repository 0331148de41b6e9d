import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretUnavailableError } from './secret-store.js';
import { KeychainSecretStore } from './keychain-store.js';

/**
 * Talks to the real OS keychain. Where a Secret Service runs (`npm test` and CI start one with
 * dbus-run-session + gnome-keyring and set SYNCCANVAS_EXPECT_KEYCHAIN=1), it writes, reads and deletes
 * a real entry; elsewhere it checks that the store says plainly the keychain is unavailable and how to fix it.
 */
const expectKeychain = process.env.SYNCCANVAS_EXPECT_KEYCHAIN === '1';

describe('KeychainSecretStore against the OS keychain', () => {
  it('round-trips a secret through the keychain, or explains why it cannot', async () => {
    const store = new KeychainSecretStore({ service: `SyncCanvas-test-${randomBytes(6).toString('hex')}` });
    const status = await store.status();
    if (expectKeychain) expect(status, 'SYNCCANVAS_EXPECT_KEYCHAIN=1 but the keychain is unavailable').toMatchObject({ available: true });

    if (status.available) {
      const name = 'crm.apiToken';
      const value = `s3cr3t-ünïcödé-${randomBytes(8).toString('hex')}`;
      expect(await store.get(name)).toBeNull();
      await store.set(name, value);
      expect(await store.get(name)).toBe(value);
      await store.set(name, `${value}-rotated`);
      expect(await store.get(name)).toBe(`${value}-rotated`);
      expect(await store.delete(name)).toBe(true);
      expect(await store.get(name)).toBeNull();
      expect(await store.delete(name)).toBe(false);
    } else {
      expect(status.message).toMatch(/^The OS keychain is unavailable: /);
      if (process.platform === 'linux') expect(status.message).toMatch(/libsecret-1-dev.*gnome-keyring.*npm rebuild keytar/s);
      await expect(store.get('crm.apiToken')).rejects.toBeInstanceOf(SecretUnavailableError);
      await expect(store.set('crm.apiToken', 'x')).rejects.toThrow(status.message);
    }
  });

  it('reports an unloadable keytar plainly and keeps failing calls typed', async () => {
    const store = new KeychainSecretStore({
      platform: 'linux',
      loadKeytar: async () => {
        throw new Error("Cannot find module 'keytar'");
      },
    });
    const status = await store.status();
    expect(status.available).toBe(false);
    expect(status.message).toContain("keytar could not be loaded (Cannot find module 'keytar')");
    expect(status.message).toContain('npm rebuild keytar');
    await expect(store.delete('x')).rejects.toBeInstanceOf(SecretUnavailableError);
  });

  it('rejects names the keychain would mangle', async () => {
    const store = new KeychainSecretStore();
    await expect(store.get('')).rejects.toThrow(/1–200 characters/);
  });
});
