import type { SecretStore, SecretStoreStatus } from './secret-store.js';

/** A SecretStore in process memory, for unit tests only: the product keeps secrets in the OS keychain. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();

  constructor(initial: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(initial)) this.values.set(name, value);
  }

  async status(): Promise<SecretStoreStatus> {
    return { available: true, message: 'In-memory secret store (tests only): secrets are lost when the process exits.' };
  }

  async get(name: string): Promise<string | null> {
    return this.values.get(name) ?? null;
  }

  async set(name: string, value: string): Promise<void> {
    if (!name) throw new Error('A secret needs a non-empty name.');
    this.values.set(name, value);
  }

  async delete(name: string): Promise<boolean> {
    return this.values.delete(name);
  }
}
