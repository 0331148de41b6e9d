import type { SecretProvider } from './secret-provider.js';
import type { SecretStoreStatus } from './secret-store.js';

export const ENV_SECRET_PREFIX = 'SYNCCANVAS_SECRET_';

/** `crm/db-password` → `SYNCCANVAS_SECRET_CRM_DB_PASSWORD`: upper case, anything but letters and digits → `_`. */
export function envNameOf(secretName: string): string {
  return ENV_SECRET_PREFIX + secretName.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * Secrets from environment variables, the usual way to hand a server or a container its
 * credentials. Read-only: the variables belong to whoever starts the process.
 */
export class EnvSecretProvider implements SecretProvider {
  readonly id = 'environment' as const;
  readonly label = `environment variables (${ENV_SECRET_PREFIX}*)`;
  readonly writable = false;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async status(): Promise<SecretStoreStatus> {
    return { available: true, message: `Secrets can be given as ${ENV_SECRET_PREFIX}<NAME> environment variables.` };
  }

  async get(name: string): Promise<string | null> {
    const value = this.env[envNameOf(name)];
    return value === undefined || value === '' ? null : value;
  }

  /** Names as the variables spell them (the original spelling of a name is not recoverable). */
  async list(): Promise<string[]> {
    return Object.keys(this.env)
      .filter((k) => k.startsWith(ENV_SECRET_PREFIX) && k.length > ENV_SECRET_PREFIX.length && this.env[k])
      .map((k) => k.slice(ENV_SECRET_PREFIX.length))
      .sort();
  }

  where(name: string): string {
    return envNameOf(name);
  }
}
