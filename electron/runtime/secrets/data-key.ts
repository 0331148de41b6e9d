import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SecretStore } from './secret-store.js';
import { SecretProviderChain } from './provider-chain.js';

/** The secret holding the workspace's data key: 32 random bytes, base64. */
export const DATA_KEY_SECRET = 'synccanvas/data-key';
/** The last-resort key file in the workspace, used only where no secret provider can store the key. */
export const DATA_KEY_FILE = 'data.key';

export interface DataKey {
  key: Buffer;
  /** Where the key is kept, in plain words (never the key). */
  where: string;
  /** The key sits in the workspace next to the data it protects: it guards against a copied database, not a copied folder. */
  weak: boolean;
}

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`the data key in ${where} is not 32 bytes of base64 (got ${key.length} bytes): restore the key this workspace was encrypted with`);
  return key;
}

/**
 * The workspace's data key: from the key file when the workspace has one (it was made because no
 * provider could store the key, and data is sealed with it), else the secret "synccanvas/data-key"
 * from the provider chain. With `create`, a missing key is made and stored in the chain's writable
 * provider (the vault on a server, the keychain on the desktop) or, where none works, in a 0600 key
 * file in the workspace. Without `create` a missing key is null (read-only commands on a workspace
 * that never had one).
 */
export async function loadDataKey(secrets: SecretStore, workspaceDir: string, opts: { create: boolean; sealedDataExists?: boolean }): Promise<DataKey | null> {
  const file = path.join(workspaceDir, DATA_KEY_FILE);
  if (fs.existsSync(file)) return { key: decode(fs.readFileSync(file, 'utf8'), file), where: file, weak: true };
  let problem: string | null = null;
  let stored: string | null = null;
  try {
    stored = await secrets.get(DATA_KEY_SECRET);
  } catch (e) {
    problem = (e as Error).message;
  }
  if (stored !== null) return { key: decode(stored, `the secret "${DATA_KEY_SECRET}"`), where: `the secret "${DATA_KEY_SECRET}"`, weak: false };
  if (!opts.create) return null;
  // Sealed data and no key: the key was deleted, is given elsewhere (another environment), or sits in
  // a provider that could not be asked (a locked keychain). A new key would not open that data, so
  // say what is missing instead of running on unreadable data.
  if (opts.sealedDataExists) {
    const where = secrets instanceof SecretProviderChain ? secrets.whereMissing(DATA_KEY_SECRET) : 'the secret store';
    throw new Error(
      `this workspace holds encrypted customer data but its data key (the secret "${DATA_KEY_SECRET}") was not found in ${where}, nor in ${file}${problem !== null ? ` (${problem})` : ''}: restore it (e.g. as SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY), see docs/security.md`,
    );
  }
  const key = randomBytes(32);
  try {
    const target = secrets instanceof SecretProviderChain ? await secrets.writeTarget() : null;
    await secrets.set(DATA_KEY_SECRET, key.toString('base64'));
    return { key, where: `the secret "${DATA_KEY_SECRET}" in ${target ? target.label : 'the secret store'}`, weak: false };
  } catch {
    /* no writable provider: fall back to the key file below */
  }
  fs.mkdirSync(workspaceDir, { recursive: true });
  fs.writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return { key, where: file, weak: true };
}

/** The notice the runtime logs when the key is only in the workspace. */
export function weakKeyNotice(k: DataKey): string {
  return `customer data at rest is encrypted with a key kept in ${k.where} (mode 0600), because no keychain or vault could store it: this protects a copied database, not a copied workspace folder. Set SYNCCANVAS_VAULT_KEY (a vault) or use a desktop keychain for a key kept apart; see docs/security.md`;
}
