import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { EmbeddedServerInfo } from './embedded-server.js';
import { trustLoopbackRole } from './trust-loopback-role.js';
import { usePostgres } from './use-postgres.js';

export interface PostgresPair {
  sourceDb: string;
  targetDb: string;
  /** Superuser clients on each database, for setting up tables and making changes. */
  source: pg.Client;
  target: pg.Client;
  /** A flow system for one of the databases, logging in as the trusted role (no secret needed). */
  system(id: string, database: string): { id: string; name: string; kind: 'postgres'; config: Record<string, unknown> };
}

/**
 * Two fresh databases (`<base>_src`, `<base>_dst`) on the shared test server and a role the server
 * trusts on loopback: the setup of the `synccanvas run` fault tests on Postgres.
 */
export async function createPostgresPair(admin: pg.Client, server: EmbeddedServerInfo, base: string, role: string): Promise<PostgresPair> {
  await trustLoopbackRole(admin, role);
  const sourceDb = `${base}_src`;
  const targetDb = `${base}_dst`;
  await admin.query(`CREATE DATABASE ${sourceDb}`);
  await admin.query(`CREATE DATABASE ${targetDb}`);
  const connect = async (database: string) => {
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await c.connect();
    return c;
  };
  return {
    sourceDb,
    targetDb,
    source: await connect(sourceDb),
    target: await connect(targetDb),
    system: (id, database) => ({ id, name: id, kind: 'postgres', config: { host: server.host, port: server.port, database, user: role, sslmode: 'disable' } }),
  };
}

/**
 * createPostgresPair for a whole test file: made before its tests (on a fresh test database's
 * server, named after it), and after them its clients closed and the replication slots its runs
 * left dropped, so the shared server keeps no WAL for them.
 */
export function usePostgresPair(prefix: string, role: string): () => PostgresPair {
  const db = usePostgres(prefix);
  let pair: PostgresPair | undefined;
  beforeAll(async () => {
    const { admin, server, database } = db();
    pair = await createPostgresPair(admin, server, database, role);
  });
  afterAll(async () => {
    if (!pair) return;
    await pair.source.end().catch(() => {});
    await pair.target.end().catch(() => {});
    await db()
      .admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database IN ($1, $2) AND NOT active`, [pair.sourceDb, pair.targetDb])
      .catch(() => {});
  });
  return () => {
    if (!pair) throw new Error('usePostgresPair: the pair is made in beforeAll; call the getter inside a hook or test');
    return pair;
  };
}
