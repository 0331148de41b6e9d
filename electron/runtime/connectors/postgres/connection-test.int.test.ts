import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresConfigSchema } from './config.js';
import { postgresConnector } from './definition.js';
import { startEmbeddedServer, type EmbeddedServer } from './test-support/embedded-server.js';
import { usePostgres } from './test-support/use-postgres.js';

const db = usePostgres('conntest');

function testWith(configPatch: Record<string, unknown>, password?: string) {
  const config = postgresConfigSchema.parse({ ...db().config, ...configPatch });
  return postgresConnector
    .create({ config, secrets: password === undefined ? { password: db().password } : { password }, flowId: 'f', systemId: 's', dataDir: '/tmp' })
    .testConnection();
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('connection test', () => {
  test('passes on a server ready for logical replication', async () => {
    const result = await testWith({});
    expect(result.message).toMatch(/^Connected/);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.name)).toEqual(['connect', 'server version', 'wal_level', 'replication privilege', 'replication slots', 'schemas', 'write origin', 'replication connection']);
    expect(result.checks.every((c) => c.ok)).toBe(true);
  });

  test('says the password is wrong', async () => {
    const result = await testWith({}, 'not-the-password');
    expect(result.ok).toBe(false);
    expect(result.message).toBe('Authentication failed for user "postgres": check the password saved for this connection.');
  });

  test('says the database does not exist', async () => {
    const result = await testWith({ database: 'no_such_db' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^Database "no_such_db" does not exist on 127\.0\.0\.1:\d+: check the database name\.$/);
  });

  test('says nothing listens at the address', async () => {
    const port = await closedPort();
    const result = await testWith({ port });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(new RegExp(`^Nothing accepts connections at 127\\.0\\.0\\.1:${port}: check host and port`));
  });

  test('says the server does not speak TLS when TLS is required', async () => {
    const result = await testWith({ sslmode: 'require' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/does not accept TLS: enable ssl on the server, or set sslmode to disable/);
  });

  test('says the user lacks the REPLICATION privilege, and that writes will not be origin-tagged', async () => {
    await db().admin.query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw' NOREPLICATION`);
    const result = await testWith({ user: 'plain' }, 'plain-pw');
    expect(result.ok).toBe(false);
    expect(result.message).toBe(
      'User "plain" lacks the REPLICATION privilege needed to read changes: run ALTER ROLE "plain" WITH REPLICATION; as a superuser (managed services: GRANT rds_replication or the provider\'s equivalent).',
    );
    expect(result.checks.find((c) => c.name === 'write origin')).toMatchObject({ ok: false, message: expect.stringMatching(/GRANT EXECUTE ON FUNCTION pg_replication_origin_create/) });
  });
});

describe('connection test against a server not set up for logical replication', () => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer(['-c', 'wal_level=replica', '-c', 'max_replication_slots=1']);
    const c = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
    await c.connect();
    await c.query(`SELECT pg_create_physical_replication_slot('someone_elses')`);
    await c.end();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test('says wal_level must be logical and that no replication slot is left', async () => {
    const config = postgresConfigSchema.parse({ host: server.host, port: server.port, database: 'postgres', user: server.user, sslmode: 'disable' });
    const result = await postgresConnector.create({ config, secrets: { password: server.password }, flowId: 'f', systemId: 's', dataDir: '/tmp' }).testConnection();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^wal_level is 'replica', but change capture needs 'logical': run ALTER SYSTEM SET wal_level = logical; and restart Postgres/);
    expect(result.checks.find((c) => c.name === 'replication slots')).toMatchObject({ ok: false, message: expect.stringMatching(/^All 1 replication slots are in use: drop unused ones/) });
  });
});
