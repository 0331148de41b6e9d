import { execFileSync } from 'node:child_process';
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CaptureHandle } from '../types.js';
import { postgresConfigSchema } from './config.js';
import { PostgresConnector } from './connector.js';
import { isLsn } from './lsn.js';
import { CollectingSink } from './test-support/collecting-sink.js';
import { startEmbeddedServer, type EmbeddedServer } from './test-support/embedded-server.js';
import { waitFor } from './test-support/use-postgres.js';
import { hasOpenssl } from '../../test-support/openssl.js';


/** A CA, a server certificate it signs for 127.0.0.1, and an unrelated CA, made with the openssl CLI. */
async function makeCertificates(dir: string): Promise<{ ca: string; otherCa: string; cert: string; key: string }> {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=SyncCanvas Test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Other CA', '-keyout', 'other.key', '-out', 'other.crt');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  await writeFile(join(dir, 'san.ext'), 'subjectAltName = IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt');
  // Postgres reads the key as its own OS user and refuses a key others can read.
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  for (const f of ['server.key', 'server.crt']) await chown(join(dir, f), uid, gid);
  execFileSync('chmod', ['600', join(dir, 'server.key')]);
  return { ca: join(dir, 'ca.crt'), otherCa: join(dir, 'other.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

describe.skipIf(!hasOpenssl())('TLS', () => {
  let server: EmbeddedServer;
  let certs: Awaited<ReturnType<typeof makeCertificates>>;

  beforeAll(async () => {
    server = await startEmbeddedServer([], async (dir) => {
      certs = await makeCertificates(dir);
      return ['-c', 'ssl=on', '-c', `ssl_cert_file=${certs.cert}`, '-c', `ssl_key_file=${certs.key}`];
    });
    const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE TABLE secure (id int PRIMARY KEY, note text)');
    await admin.end();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const connectorWith = (patch: Record<string, unknown>) =>
    new PostgresConnector({
      config: postgresConfigSchema.parse({ host: server.host, port: server.port, database: 'postgres', user: server.user, ...patch }),
      password: server.password,
      flowId: 'tls',
      systemId: 'db',
    });

  test('require encrypts; verify-full checks the certificate against the CA, and capture runs over it', async () => {
    const required = connectorWith({ sslmode: 'require' });
    expect((await required.testConnection()).ok).toBe(true);
    await required.close();

    const verified = connectorWith({ sslmode: 'verify-full', sslRootCertPath: certs.ca });
    const result = await verified.testConnection();
    expect(result.message).toMatch(/^Connected/);
    const sink = new CollectingSink();
    let handle: CaptureHandle | undefined;
    try {
      handle = await verified.startCapture(sink.context(['secure']));
      await waitFor(() => sink.checkpoint !== null && isLsn(sink.checkpoint), 10_000, 'capture start');
      const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres', ssl: { rejectUnauthorized: false } });
      await admin.connect();
      await admin.query(`INSERT INTO secure VALUES (1, 'over TLS')`);
      const inUse = await admin.query(`SELECT bool_and(ssl) AS all_tls FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE application_name = 'synccanvas'`);
      await admin.end();
      await waitFor(() => sink.changes.length >= 1, 10_000, 'the change');
      expect(sink.changes[0]!.fields).toEqual({ id: 1, note: 'over TLS' });
      expect(inUse.rows[0].all_tls).toBe(true);
    } finally {
      await handle?.stop();
      await verified.close();
    }
  });

  test('verify-full refuses a server certificate from another CA, and needs the CA path', async () => {
    const wrong = connectorWith({ sslmode: 'verify-full', sslRootCertPath: certs.otherCa });
    const result = await wrong.testConnection();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/^The server certificate could not be verified .*: check sslRootCertPath/);
    await wrong.close();
    const parsed = postgresConfigSchema.safeParse({ host: 'h', database: 'd', user: 'u', sslmode: 'verify-full' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/verify-full needs sslRootCertPath/);
  });
});
