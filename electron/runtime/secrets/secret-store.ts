/**
 * Secrets live in the OS keychain only. Flows, SQLite, logs and the renderer hold secret *names*.
 * Implementations: KeychainSecretStore (keytar; the product) and MemorySecretStore (unit tests only).
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
}

export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}
