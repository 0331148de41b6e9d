import path from 'node:path';
import { EnvSecretProvider } from './env-provider.js';
import { FolderSecretProvider } from './folder-provider.js';
import { KeychainSecretStore } from './keychain-store.js';
import { SecretProviderChain } from './provider-chain.js';
import type { SecretProvider } from './secret-provider.js';

export const SECRETS_DIR_ENV = 'SYNCCANVAS_SECRETS_DIR';
export const VAULT_KEY_ENV = 'SYNCCANVAS_VAULT_KEY';
export const VAULT_FILE_ENV = 'SYNCCANVAS_VAULT_FILE';
export const VAULT_FILE_NAME = 'secrets.vault';

export interface SecretChainOptions {
  env?: NodeJS.ProcessEnv;
  /** The workspace, whose folder holds the vault file unless SYNCCANVAS_VAULT_FILE says otherwise. */
  workspaceDir: string;
  /** The keychain provider (tests pass one with their own service name). */
  keychain?: KeychainSecretStore;
}

/**
 * The product's secret sources, from the environment: always environment variables and the OS
 * keychain; a folder when SYNCCANVAS_SECRETS_DIR is set; the encrypted vault when
 * SYNCCANVAS_VAULT_KEY is set. The vault is loaded lazily: its key derivation costs a few tens of
 * milliseconds, paid only when a secret is asked for.
 */
export async function createSecretChain(opts: SecretChainOptions): Promise<SecretProviderChain> {
  const env = opts.env ?? process.env;
  const providers: SecretProvider[] = [new EnvSecretProvider(env)];
  const dir = env[SECRETS_DIR_ENV];
  if (dir) providers.push(new FolderSecretProvider(dir));
  const key = env[VAULT_KEY_ENV];
  if (key) {
    const { VaultSecretProvider } = await import('./vault-provider.js');
    providers.push(new VaultSecretProvider(path.resolve(env[VAULT_FILE_ENV] || path.join(opts.workspaceDir, VAULT_FILE_NAME)), key));
  }
  providers.push(opts.keychain ?? new KeychainSecretStore());
  return new SecretProviderChain(providers);
}
