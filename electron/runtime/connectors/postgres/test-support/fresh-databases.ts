import pg from 'pg';
import type { EmbeddedServerInfo } from './embedded-server.js';

/** The secret name under which in-process runtime tests hand the test server's password over. */
export const TEST_PG_PASSWORD_SECRET = 'pg-password';

/**
 * Creates fresh databases on the shared test server and returns a superuser client on each, in the
 * order named: the setup of the in-process runtime tests that sync one database into another.
 */
export async function createDatabases<const N extends readonly string[]>(admin: pg.Client, server: EmbeddedServerInfo, names: N): Promise<{ [K in keyof N]: pg.Client }> {
  const clients: pg.Client[] = [];
  for (const database of names) {
    await admin.query(`CREATE DATABASE ${database}`);
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    await c.connect();
    clients.push(c);
  }
  return clients as { [K in keyof N]: pg.Client };
}

/** A flow system on one database of the test server, logging in with the password under TEST_PG_PASSWORD_SECRET. */
export function passwordSystem(server: EmbeddedServerInfo, id: string, database: string) {
  return {
    id,
    name: id,
    kind: 'postgres',
    config: { host: server.host, port: server.port, database, user: server.user, sslmode: 'disable' },
    secretRefs: { password: TEST_PG_PASSWORD_SECRET },
  };
}
