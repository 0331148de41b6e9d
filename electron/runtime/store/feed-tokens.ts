import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './database.js';

export interface FeedToken {
  name: string;
  flowId: string;
  syncId: string;
  createdAt: number;
}

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Tokens scoped to one AI feed (docs/ai-feeds.md#serving-a-feed): an AI tool reads that feed's
 * published files with it and can call nothing else — no API method, no other feed. As for API users,
 * the token is shown once and only its SHA-256 is stored.
 */
export class FeedTokenRepo {
  private readonly insert;
  private readonly byHash;
  private readonly all;
  private readonly remove_;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO feed_tokens (name, flow_id, sync_id, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)');
    this.byHash = db.prepare('SELECT name, flow_id AS flowId, sync_id AS syncId, created_at AS createdAt FROM feed_tokens WHERE token_sha256 = ?');
    this.all = db.prepare('SELECT name, flow_id AS flowId, sync_id AS syncId, created_at AS createdAt FROM feed_tokens ORDER BY name');
    this.remove_ = db.prepare('DELETE FROM feed_tokens WHERE name = ?');
  }

  add(name: string, flowId: string, syncId: string, now: number): string {
    const token = `scf_${randomBytes(24).toString('base64url')}`;
    try {
      this.insert.run(name, flowId, syncId, sha256(token), now);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new Error(`there is already a feed token "${name}": remove it first, or pick another name`);
      throw e;
    }
    return token;
  }

  authenticate(token: string): FeedToken | null {
    return (this.byHash.get(sha256(token)) as FeedToken | undefined) ?? null;
  }

  list(): FeedToken[] {
    return this.all.all() as FeedToken[];
  }

  remove(name: string): boolean {
    return this.remove_.run(name).changes > 0;
  }
}
