import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/**
 * The cryptography of the encrypted vault file, kept apart so it can be tested on its own.
 * Every stored value says which scheme made it (`v1:aes-256-gcm:<iv>:<tag>:<ciphertext>`, base64
 * parts), so a later scheme can read old entries. Each value is bound to its name through the
 * authenticated data: an entry copied under another name does not decrypt.
 */
export const VAULT_SCHEME = 'v1:aes-256-gcm';

export interface VaultKdf {
  name: 'scrypt';
  /** base64 */
  salt: string;
  N: number;
  r: number;
  p: number;
}

export class VaultKeyError extends Error {}

export const MIN_MASTER_KEY_LENGTH = 16;

export function newKdf(): VaultKdf {
  return { name: 'scrypt', salt: randomBytes(16).toString('base64'), N: 2 ** 15, r: 8, p: 1 };
}

/** The 256-bit data key from the master key (a passphrase of at least 16 characters). */
export function deriveKey(masterKey: string, kdf: VaultKdf): Buffer {
  if (masterKey.length < MIN_MASTER_KEY_LENGTH) {
    throw new VaultKeyError(`SYNCCANVAS_VAULT_KEY is too short: use at least ${MIN_MASTER_KEY_LENGTH} characters (e.g. \`openssl rand -base64 32\`).`);
  }
  if (kdf.name !== 'scrypt') throw new VaultKeyError(`the vault uses an unknown key derivation "${String(kdf.name)}"`);
  return scryptSync(masterKey, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 });
}

const aad = (name: string) => Buffer.from(`synccanvas-vault:${name}`, 'utf8');

export function sealValue(key: Buffer, name: string, value: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(name));
  const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return `${VAULT_SCHEME}:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data.toString('base64')}`;
}

/** Throws VaultKeyError when the key is wrong or the entry was altered (GCM cannot tell the two apart). */
export function openValue(key: Buffer, name: string, sealed: string): string {
  const parts = sealed.split(':');
  if (parts.length !== 5 || `${parts[0]}:${parts[1]}` !== VAULT_SCHEME) throw new VaultKeyError(`the vault entry "${name}" is in an unknown format`);
  const [, , iv, tag, data] = parts as [string, string, string, string, string];
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(aad(name));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new VaultKeyError(`the vault entry "${name}" does not decrypt: SYNCCANVAS_VAULT_KEY is not the key this vault was made with, or the file was altered`);
  }
}
