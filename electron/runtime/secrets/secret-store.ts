/**
 * Where secret values come from. Flows, SQLite, logs and the renderer hold secret *names* only.
 * Implementations: SecretProviderChain (the product: environment, folder, encrypted vault, OS
 * keychain; see provider-chain.ts), KeychainSecretStore (one of its providers) and
 * MemorySecretStore (unit tests only).
 */
export interface SecretStoreStatus {
  available: boolean;
  /** Plain words for the user: what is wrong and how to fix it, or that the keychain is ready. */
  message: string;
}

export interface SecretStore {
  status(): Promise<SecretStoreStatus>;
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
  /** Every place a missing secret was looked for, for the message that tells the user where to put it. */
  whereMissing?(name: string): string;
}

export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}
