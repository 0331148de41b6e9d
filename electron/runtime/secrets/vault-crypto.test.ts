import { describe, expect, it } from 'vitest';
import { deriveKey, newKdf, openValue, sealValue, VAULT_SCHEME, VaultKeyError } from './vault-crypto.js';

describe('vault cryptography', () => {
  const kdf = newKdf();
  const key = deriveKey('correct horse battery staple', kdf);

  it('round-trips any text, unicode and 20 KB included, with the scheme named in front', () => {
    for (const value of ['p@ss', 'naïve café 🔑', 'x'.repeat(20_000), ' leading and trailing ']) {
      const sealed = sealValue(key, 'crm/password', value);
      expect(sealed.startsWith(`${VAULT_SCHEME}:`)).toBe(true);
      expect(sealed).not.toContain(value.trim().slice(0, 8));
      expect(openValue(key, 'crm/password', sealed)).toBe(value);
    }
  });

  it('never seals the same value to the same text (a fresh IV each time)', () => {
    expect(sealValue(key, 'n', 'same')).not.toBe(sealValue(key, 'n', 'same'));
  });

  it('refuses a wrong key, an altered entry and an entry moved to another name', () => {
    const sealed = sealValue(key, 'crm/password', 'secret');
    expect(() => openValue(deriveKey('another key of enough length', kdf), 'crm/password', sealed)).toThrow(VaultKeyError);
    const parts = sealed.split(':');
    const flipped = Buffer.from(parts[4]!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => openValue(key, 'crm/password', [...parts.slice(0, 4), flipped.toString('base64')].join(':'))).toThrow(/does not decrypt/);
    expect(() => openValue(key, 'billing/password', sealed)).toThrow(VaultKeyError);
    expect(() => openValue(key, 'crm/password', 'v0:rot13:abc')).toThrow(/unknown format/);
  });

  it('asks for a master key of at least 16 characters, saying how to make one', () => {
    expect(() => deriveKey('short', kdf)).toThrow(/at least 16 characters.*openssl rand/);
  });
});
