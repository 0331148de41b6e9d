import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { PostgresConfig } from '../config.js';
import { postgresConfigSchema } from '../config.js';
import { createTestDatabase, startEmbeddedServer, type EmbeddedServer, type EmbeddedServerInfo } from './embedded-server.js';
import './global-setup.js';

export interface TestDatabase {
  server: EmbeddedServerInfo;
  database: string;
  config: PostgresConfig;
  password: string;
  /** A superuser client on the test database, for setting up tables and making changes. */
  admin: pg.Client;
  connect(): Promise<pg.Client>;
}

/**
 * A fresh database on the shared embedded Postgres (started once by global-setup.ts), or on a
 * server this file starts itself when the run has no global setup.
 */
export function usePostgres(prefix: string): () => TestDatabase {
  let own: EmbeddedServer | null = null;
  let db: TestDatabase | null = null;
  beforeAll(async () => {
    let info: EmbeddedServerInfo | undefined;
    try {
      info = inject('postgresServer');
    } catch {
      info = undefined;
    }
    if (!info) {
      own = await startEmbeddedServer();
      info = own;
    }
    const server = info;
    const database = await createTestDatabase(server, prefix);
    const connect = async () => {
      const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
      await c.connect();
      return c;
    };
    const admin = await connect();
    db = {
      server,
      database,
      password: server.password,
      config: postgresConfigSchema.parse({ host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' }),
      admin,
      connect,
    };
  });
  afterAll(async () => {
    await db?.admin.end().catch(() => {});
    // Slots of this database would block dropping it and keep WAL; drop what the tests left.
    if (db) {
      const c = new pg.Client({ host: db.server.host, port: db.server.port, user: db.server.user, password: db.server.password, database: 'postgres' });
      await c.connect();
      await c.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [db.database]).catch(() => {});
      await c.end();
    }
    await own?.stop();
  });
  return () => {
    if (!db) throw new Error('usePostgres: database not ready (used outside a test?)');
    return db;
  };
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
