import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresConfigSchema } from './config.js';
import { PostgresConnector } from './connector.js';
import { startEmbeddedServer, type EmbeddedServer } from './test-support/embedded-server.js';

/**
 * Each session that tags its writes with a replication origin holds a replication origin state, and a
 * server has max_active_replication_origins of them (Postgres 18; max_replication_slots before). With none left the database is still reachable: writes
 * go on untagged and the connector says what to raise, instead of the edge pausing as unreachable.
 */
let server: EmbeddedServer;
beforeAll(async () => {
  server = await startEmbeddedServer(['-c', 'max_active_replication_origins=1']);
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE TABLE people (id int PRIMARY KEY, name text)');
  await admin.end();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('replication origin states run out', () => {
  test('the second writer writes untagged with a notice that names the setting to raise', async () => {
    const make = (systemId: string) =>
      new PostgresConnector({ config: postgresConfigSchema.parse({ host: server.host, port: server.port, database: 'postgres', user: server.user, sslmode: 'disable' }), password: server.password, flowId: 'slots', systemId });
    const first = make('one');
    const second = make('two');
    try {
      const op = (key: string, name: string) => ({ kind: 'upsert' as const, key, fields: { id: Number(key), name }, idempotencyKey: `k${key}`, sourceTime: Date.now() });
      expect(await first.write('people', [op('1', 'Ann')], 'synccanvas:slots')).toMatchObject([{ ok: true }]);
      expect(first.writeOriginProblem).toBeNull();
      expect(await second.write('people', [op('2', 'Bob')], 'synccanvas:slots')).toMatchObject([{ ok: true }]);
      expect(String(second.writeOriginProblem), JSON.stringify({ first: first.writeOriginProblem })).toMatch(/no replication origin state left .*raise max_active_replication_origins/);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);
});
