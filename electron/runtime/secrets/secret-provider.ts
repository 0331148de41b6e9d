import type { SecretStoreStatus } from './secret-store.js';

/** Where a secret can come from, in the order the chain asks (see provider-chain.ts). */
export type SecretSourceId = 'environment' | 'folder' | 'vault' | 'keychain';

/**
 * One place secrets are read from (and, for the keychain and the vault, written to). The chain asks
 * each in turn; `where` names the exact place a secret would be looked up, for messages such as
 * `synccanvas secrets check`. No method ever returns or logs a value except `get`.
 */
export interface SecretProvider {
  readonly id: SecretSourceId;
  /** Plain words: "environment variables (SYNCCANVAS_SECRET_*)", "the OS keychain", … */
  readonly label: string;
  readonly writable: boolean;
  status(): Promise<SecretStoreStatus>;
  get(name: string): Promise<string | null>;
  /** Names this provider holds (never values). */
  list(): Promise<string[]>;
  /** Where `name` is looked up here, e.g. `SYNCCANVAS_SECRET_CRM_PASSWORD`. */
  where(name: string): string;
  set?(name: string, value: string): Promise<void>;
  delete?(name: string): Promise<boolean>;
}

export class ReadOnlySecretSourceError extends Error {}
