import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SecretProvider } from './secret-provider.js';
import type { SecretStoreStatus } from './secret-store.js';
import { deriveKey, newKdf, openValue, sealValue, VaultKeyError, type VaultKdf } from './vault-crypto.js';

const CHECK_ENTRY = '__synccanvas_key_check__';

const VaultFileSchema = z.object({
  format: z.literal('synccanvas-vault'),
  version: z.literal(1),
  kdf: z.object({ name: z.literal('scrypt'), salt: z.string().min(1), N: z.number().int().positive(), r: z.number().int().positive(), p: z.number().int().positive() }),
  /** Decrypts to a constant with the right key: a wrong key is named as such before any secret is read. */
  check: z.string(),
  entries: z.record(z.string(), z.string()),
});
type VaultFile = z.infer<typeof VaultFileSchema>;

/**
 * Secrets in an encrypted file (AES-256-GCM per value, key derived with scrypt from a master key
 * given in SYNCCANVAS_VAULT_KEY), for servers with no OS keychain. The file holds no value in the
 * clear, and names only; it is written atomically (a temporary file, then rename) with mode 0600.
 */
export class VaultSecretProvider implements SecretProvider {
  readonly id = 'vault' as const;
  readonly label: string;
  readonly writable = true;
  private key: { salt: string; key: Buffer } | null = null;

  constructor(
    private readonly file: string,
    private readonly masterKey: string,
  ) {
    this.label = `the encrypted vault ${file}`;
  }

  async status(): Promise<SecretStoreStatus> {
    try {
      const vault = this.read();
      if (vault) this.keyFor(vault.kdf, vault.check);
      return { available: true, message: vault ? `Secrets are kept in the encrypted vault ${this.file}.` : `Secrets will be kept in the encrypted vault ${this.file} (created on the first \`synccanvas secrets set\`).` };
    } catch (e) {
      return { available: false, message: (e as Error).message };
    }
  }

  async get(name: string): Promise<string | null> {
    const vault = this.read();
    const sealed = vault?.entries[name];
    if (!vault || sealed === undefined) return null;
    return openValue(this.keyFor(vault.kdf, vault.check), name, sealed);
  }

  async list(): Promise<string[]> {
    return Object.keys(this.read()?.entries ?? {}).sort();
  }

  where(name: string): string {
    return `${this.file} (entry "${name}")`;
  }

  async set(name: string, value: string): Promise<void> {
    if (value.length === 0) throw new Error(`Secret "${name}" needs a non-empty value.`);
    const vault = this.read() ?? this.create();
    const key = this.keyFor(vault.kdf, vault.check);
    this.write({ ...vault, entries: { ...vault.entries, [name]: sealValue(key, name, value) } });
  }

  async delete(name: string): Promise<boolean> {
    const vault = this.read();
    if (!vault || !(name in vault.entries)) return false;
    this.keyFor(vault.kdf, vault.check); // never rewrite a vault with the wrong key in hand
    const entries = { ...vault.entries };
    delete entries[name];
    this.write({ ...vault, entries });
    return true;
  }

  private create(): VaultFile {
    const kdf = newKdf();
    const key = deriveKey(this.masterKey, kdf);
    this.key = { salt: kdf.salt, key };
    return { format: 'synccanvas-vault', version: 1, kdf, check: sealValue(key, CHECK_ENTRY, CHECK_ENTRY), entries: {} };
  }

  private keyFor(kdf: VaultKdf, check: string): Buffer {
    if (this.key?.salt !== kdf.salt) this.key = { salt: kdf.salt, key: deriveKey(this.masterKey, kdf) };
    try {
      openValue(this.key.key, CHECK_ENTRY, check);
    } catch {
      throw new VaultKeyError(`SYNCCANVAS_VAULT_KEY does not open the vault ${this.file}: it was made with another key. Set the key it was made with, or move the file away to start a new vault.`);
    }
    return this.key.key;
  }

  private read(): VaultFile | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`could not read the vault ${this.file}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`the vault ${this.file} is not valid JSON: restore it from a backup, or move it away to start a new vault`);
    }
    const parsed = VaultFileSchema.safeParse(json);
    if (!parsed.success) throw new Error(`the vault ${this.file} is not a SyncCanvas vault (${parsed.error.issues[0]?.path.join('.') || 'format'}: ${parsed.error.issues[0]?.message})`);
    return parsed.data;
  }

  private write(vault: VaultFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(vault, null, 2));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }
}
