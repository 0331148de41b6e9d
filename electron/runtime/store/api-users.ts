import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../../shared/api/roles.js';
import type { Db } from './database.js';

export interface ApiUser {
  name: string;
  role: Role;
  createdAt: number;
}

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * The people who may call a shared runtime, each with a role and an API token. The token is shown
 * once, when made; only its SHA-256 is stored (a stolen workspace file gives no working token).
 */
export class ApiUserRepo {
  private readonly insert;
  private readonly byHash;
  private readonly all;
  private readonly remove_;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO api_users (name, role, token_sha256, created_at) VALUES (?, ?, ?, ?)');
    this.byHash = db.prepare('SELECT name, role, created_at AS createdAt FROM api_users WHERE token_sha256 = ?');
    this.all = db.prepare('SELECT name, role, created_at AS createdAt FROM api_users ORDER BY name');
    this.remove_ = db.prepare('DELETE FROM api_users WHERE name = ?');
  }

  /** Adds a person; returns their token (the only time it exists in the clear). */
  add(name: string, role: Role, now: number): string {
    const token = `sct_${randomBytes(24).toString('base64url')}`;
    try {
      this.insert.run(name, role, sha256(token), now);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new Error(`there is already a user "${name}": remove them first, or pick another name`);
      throw e;
    }
    return token;
  }

  authenticate(token: string): ApiUser | null {
    return (this.byHash.get(sha256(token)) as ApiUser | undefined) ?? null;
  }

  list(): ApiUser[] {
    return this.all.all() as ApiUser[];
  }

  count(): number {
    return this.list().length;
  }

  remove(name: string): boolean {
    return this.remove_.run(name).changes > 0;
  }
}
