import type { SecretProvider, SecretSourceId } from './secret-provider.js';
import { SecretUnavailableError, type SecretStore, type SecretStoreStatus } from './secret-store.js';

export interface SecretLookup {
  name: string;
  /** The provider that answers, or null when none has the secret. */
  source: SecretSourceId | null;
  /** Where it was found, or every place that was asked. */
  where: string;
  /** A provider that could not be asked (a locked keychain, a wrong vault key), in plain words. */
  problems: string[];
}

/**
 * The secret providers in the order they are asked: environment variables, a secrets folder, the
 * encrypted vault, the OS keychain. What a deployment states explicitly (its environment, its
 * mounted files) wins over what is stored. New secrets are written to the first writable provider
 * that works: the vault where a vault key is set (a server), else the keychain (the desktop).
 */
export class SecretProviderChain implements SecretStore {
  constructor(readonly providers: readonly SecretProvider[]) {}

  async status(): Promise<SecretStoreStatus> {
    const states = await Promise.all(this.providers.map(async (p) => ({ p, st: await p.status() })));
    const writable = states.find((s) => s.p.writable && s.st.available);
    const readers = states.filter((s) => s.st.available).map((s) => s.p.label);
    if (writable) return { available: true, message: `${writable.st.message} Secrets are read from ${readers.join(', then ')}.` };
    const reasons = states.filter((s) => s.p.writable).map((s) => s.st.message);
    return {
      available: false,
      message: `${reasons.join(' ')} Secrets can still be given as environment variables (SYNCCANVAS_SECRET_<NAME>), as files in a folder (SYNCCANVAS_SECRETS_DIR) or in an encrypted vault (SYNCCANVAS_VAULT_KEY); see docs/security.md.`,
    };
  }

  /**
   * The first provider's value. Missing everywhere that answered, but a provider could not be asked
   * (a locked keychain, a wrong vault key): that provider may hold it, so its problem is the answer.
   */
  async get(name: string): Promise<string | null> {
    const found = await this.lookupValue(name);
    if (found.value !== null) return found.value;
    if (found.problems.length > 0) throw new SecretUnavailableError(`the secret "${name}" was not found, and ${found.problems.join('; ')}`);
    return null;
  }

  whereMissing(name: string): string {
    return this.providers.map((p) => p.where(name)).join(', ');
  }

  private async lookupValue(name: string): Promise<{ value: string | null; provider: SecretProvider | null; problems: string[] }> {
    const problems: string[] = [];
    for (const p of this.providers) {
      try {
        const value = await p.get(name);
        if (value !== null) return { value, provider: p, problems };
      } catch (e) {
        problems.push(`${p.label} could not be asked: ${(e as Error).message}`);
      }
    }
    return { value: null, provider: null, problems };
  }

  /** Which provider answers `name` (never the value), for `synccanvas secrets check` and the app. */
  async lookup(name: string): Promise<SecretLookup> {
    const found = await this.lookupValue(name);
    if (found.provider) return { name, source: found.provider.id, where: found.provider.where(name), problems: found.problems };
    return { name, source: null, where: this.whereMissing(name), problems: found.problems };
  }

  async list(): Promise<{ name: string; source: SecretSourceId }[]> {
    const out: { name: string; source: SecretSourceId }[] = [];
    for (const p of this.providers) {
      try {
        for (const name of await p.list()) out.push({ name, source: p.id });
      } catch {
        /* an unavailable provider lists nothing; status() says why */
      }
    }
    return out;
  }

  async set(name: string, value: string): Promise<void> {
    const target = await this.writeTarget();
    await target.set!(name, value);
  }

  /** Deletes from every writable provider that holds it; read-only sources are the deployment's to change. */
  async delete(name: string): Promise<boolean> {
    let deleted = false;
    for (const p of this.providers) {
      if (!p.writable || !p.delete) continue;
      if (!(await p.status()).available) continue;
      if (await p.delete(name)) deleted = true;
    }
    return deleted;
  }

  /** The provider new secrets go to: the first writable one that works. */
  async writeTarget(): Promise<SecretProvider> {
    for (const p of this.providers) {
      if (p.writable && p.set && (await p.status()).available) return p;
    }
    throw new SecretUnavailableError((await this.status()).message);
  }
}
