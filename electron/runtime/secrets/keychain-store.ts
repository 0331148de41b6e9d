import type { SecretProvider } from './secret-provider.js';
import { SecretUnavailableError, type SecretStore, type SecretStoreStatus } from './secret-store.js';

/** The slice of keytar we use; keytar is an optionalDependency, so it is loaded lazily and may be absent. */
export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials?(service: string): Promise<{ account: string; password: string }[]>;
}

export interface KeychainSecretStoreOptions {
  /** Keychain service name; tests use their own so they never touch the user's entries. */
  service?: string;
  /** How keytar is loaded; tests pass a loader that fails to exercise the "unavailable" path. */
  loadKeytar?: () => Promise<KeytarModule>;
  platform?: NodeJS.Platform;
}

export const KEYCHAIN_SERVICE = 'SyncCanvas';
const PROBE_ACCOUNT = '__synccanvas_probe__';
const MAX_NAME_LENGTH = 200;

type Backend = { ok: true; keytar: KeytarModule } | { ok: false; message: string };

async function importKeytar(): Promise<KeytarModule> {
  // A variable specifier keeps bundlers from trying to inline the native module.
  const specifier = 'keytar';
  const mod = (await import(specifier)) as { default?: KeytarModule } & Partial<KeytarModule>;
  const keytar = (mod.default ?? mod) as KeytarModule;
  if (typeof keytar.getPassword !== 'function') throw new Error('the keytar module has no getPassword()');
  return keytar;
}

/** What to do about it, per OS: the message the user sees in the app and in `synccanvas status`. */
export function keychainFixHint(platform: NodeJS.Platform): string {
  if (platform === 'linux') {
    return (
      'On Linux, install libsecret-1-dev and a Secret Service such as gnome-keyring ' +
      '(e.g. `sudo apt-get install libsecret-1-dev gnome-keyring`), make sure it runs and is unlocked in your session, ' +
      'then run `npm rebuild keytar`.'
    );
  }
  if (platform === 'darwin') return 'On macOS, run `npm rebuild keytar` and allow SyncCanvas to use the login Keychain.';
  if (platform === 'win32') return 'On Windows, run `npm rebuild keytar` (it uses the Windows Credential Vault).';
  return 'Run `npm rebuild keytar` on a platform that has an OS keychain.';
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'unknown error';
}

/**
 * Secrets in the OS keychain (Secret Service, macOS Keychain, Windows Credential Vault) through keytar.
 * When keytar or the keychain is missing, status() says so in plain words and get/set/delete throw
 * SecretUnavailableError with the same message; flows that need no secrets (the demo) still run.
 */
export class KeychainSecretStore implements SecretStore, SecretProvider {
  readonly id = 'keychain' as const;
  readonly label = 'the OS keychain';
  readonly writable = true;
  private readonly service: string;
  private readonly loadKeytar: () => Promise<KeytarModule>;
  private readonly platform: NodeJS.Platform;
  private ready: Promise<KeytarModule> | null = null;

  constructor(options: KeychainSecretStoreOptions = {}) {
    this.service = options.service ?? KEYCHAIN_SERVICE;
    this.loadKeytar = options.loadKeytar ?? importKeytar;
    this.platform = options.platform ?? process.platform;
  }

  async status(): Promise<SecretStoreStatus> {
    const backend = await this.probe();
    if (backend.ok) return { available: true, message: `The OS keychain is ready (service "${this.service}").` };
    return { available: false, message: backend.message };
  }

  async get(name: string): Promise<string | null> {
    checkName(name);
    const keytar = await this.keytar();
    return keytar.getPassword(this.service, name);
  }

  async set(name: string, value: string): Promise<void> {
    checkName(name);
    if (typeof value !== 'string' || value.length === 0) throw new Error(`Secret "${name}" needs a non-empty value.`);
    const keytar = await this.keytar();
    await keytar.setPassword(this.service, name, value);
  }

  async delete(name: string): Promise<boolean> {
    checkName(name);
    const keytar = await this.keytar();
    return keytar.deletePassword(this.service, name);
  }

  /** Names only: the values findCredentials also returns are dropped at once. */
  async list(): Promise<string[]> {
    const keytar = await this.keytar();
    if (!keytar.findCredentials) return [];
    return (await keytar.findCredentials(this.service)).map((c) => c.account).filter((a) => a !== PROBE_ACCOUNT).sort();
  }

  where(name: string): string {
    return `the OS keychain (service "${this.service}", account "${name}")`;
  }

  /** A working backend is kept; a failing one is probed again next time, so starting the keychain later just works. */
  private async keytar(): Promise<KeytarModule> {
    const backend = await this.probe();
    if (!backend.ok) throw new SecretUnavailableError(backend.message);
    return backend.keytar;
  }

  private async probe(): Promise<Backend> {
    if (!this.ready) {
      this.ready = (async () => {
        let keytar: KeytarModule;
        try {
          keytar = await this.loadKeytar();
        } catch (error) {
          throw new Error(`The OS keychain is unavailable: keytar could not be loaded (${reasonOf(error)}). ${keychainFixHint(this.platform)}`);
        }
        try {
          // A read answers only when a keychain service is reachable (on Linux: a Secret Service on D-Bus).
          await keytar.getPassword(this.service, PROBE_ACCOUNT);
        } catch (error) {
          throw new Error(`The OS keychain is unavailable: no keychain service answered (${reasonOf(error)}). ${keychainFixHint(this.platform)}`);
        }
        return keytar;
      })();
    }
    try {
      return { ok: true, keytar: await this.ready };
    } catch (error) {
      this.ready = null;
      return { ok: false, message: (error as Error).message };
    }
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new Error(`A secret name must be 1–${MAX_NAME_LENGTH} characters; got ${JSON.stringify(String(name).slice(0, 40))}.`);
  }
}
