import fs from 'node:fs/promises';
import path from 'node:path';
import type { SecretProvider } from './secret-provider.js';
import type { SecretStoreStatus } from './secret-store.js';

/** Docker and Kubernetes mount one file per secret; editors and `echo` leave one trailing newline. */
function stripOneNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * Secrets as files in a folder (the Docker and Kubernetes secrets convention, e.g. /run/secrets):
 * the file's name is the secret's name, a `/` in the name is a subfolder. Read-only: the folder is
 * managed by whoever deploys the runtime.
 */
export class FolderSecretProvider implements SecretProvider {
  readonly id = 'folder' as const;
  readonly label: string;
  readonly writable = false;
  private readonly root: string;

  constructor(folder: string) {
    this.root = path.resolve(folder);
    this.label = `files in ${this.root}`;
  }

  async status(): Promise<SecretStoreStatus> {
    try {
      const st = await fs.stat(this.root);
      if (!st.isDirectory()) return { available: false, message: `The secrets folder ${this.root} is not a folder: point SYNCCANVAS_SECRETS_DIR at a folder of files.` };
      return { available: true, message: `Secrets are read from files in ${this.root}.` };
    } catch {
      return { available: false, message: `The secrets folder ${this.root} does not exist: create it or fix SYNCCANVAS_SECRETS_DIR.` };
    }
  }

  async get(name: string): Promise<string | null> {
    const file = this.fileOf(name);
    if (!file) return null;
    try {
      const value = stripOneNewline(await fs.readFile(file, 'utf8'));
      return value === '' ? null : value;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw new Error(`could not read the secret file ${file}: ${(e as Error).message}`);
    }
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        // Kubernetes keeps the real files in dot-folders (..data) behind symlinks: list the links.
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory()) await walk(path.join(dir, e.name), `${prefix}${e.name}/`);
        else out.push(`${prefix}${e.name}`);
      }
    };
    await walk(this.root, '');
    return out.sort();
  }

  where(name: string): string {
    return this.fileOf(name) ?? `(not a usable file name: ${name})`;
  }

  /** The file for a name, or null when the name would leave the folder. */
  private fileOf(name: string): string | null {
    if (name.split('/').some((part) => part === '' || part === '.' || part === '..')) return null;
    const file = path.resolve(this.root, name);
    return file.startsWith(this.root + path.sep) ? file : null;
  }
}
