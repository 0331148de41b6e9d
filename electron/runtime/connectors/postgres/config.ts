import { readFileSync } from 'node:fs';
import type { ClientConfig } from 'pg';
import { z } from 'zod';

const identifier = z.string().min(1).max(63);

export const postgresConfigSchema = z
  .object({
    host: z.string().min(1, 'host is required (e.g. db.example.com or 127.0.0.1)'),
    port: z.number().int().min(1).max(65535).default(5432),
    database: z.string().min(1, 'database is required'),
    user: z.string().min(1, 'user is required'),
    /** Schemas whose tables are offered as entities. */
    schemas: z.array(identifier).min(1).default(['public']),
    sslmode: z.enum(['disable', 'require', 'verify-full']).default('require'),
    /** PEM file with the CA that signed the server certificate; required for verify-full. */
    sslRootCertPath: z.string().min(1).optional(),
    /**
     * Column that guards writes: a row is only overwritten by a change whose value here is not
     * older (numeric version or updatedAt time). Tables without the column are written unguarded.
     */
    versionColumn: identifier.optional(),
    /** Warn in capture status when the slot retains more WAL than this. */
    walWarnBytes: z.number().int().positive().default(1024 * 1024 * 1024),
    /** Copy existing rows before streaming (a consistent snapshot handed over to the slot). */
    initialSnapshot: z.boolean().default(true),
    /**
     * A write or read query with no answer for this long fails as unavailable (the edge pauses and
     * retries): a network that silently drops packets would otherwise hold it forever.
     */
    queryTimeoutSeconds: z.number().positive().max(3600).default(60),
  })
  .superRefine((c, ctx) => {
    if (c.sslmode === 'verify-full' && !c.sslRootCertPath) {
      ctx.addIssue({ code: 'custom', path: ['sslRootCertPath'], message: 'sslmode verify-full needs sslRootCertPath: the CA certificate (PEM) that signed the server certificate' });
    }
  });

export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

function sslOptions(config: PostgresConfig): ClientConfig['ssl'] {
  switch (config.sslmode) {
    case 'disable':
      return false;
    case 'require':
      // libpq's `require`: encrypted, certificate not verified.
      return { rejectUnauthorized: false };
    case 'verify-full': {
      const path = config.sslRootCertPath as string;
      let ca: string;
      try {
        ca = readFileSync(path, 'utf8');
      } catch (err) {
        throw new Error(`cannot read the CA certificate at ${path} (sslRootCertPath): ${(err as Error).message}`);
      }
      return { ca, rejectUnauthorized: true, servername: config.host, minVersion: 'TLSv1.2' };
    }
  }
}

/**
 * Client options for one session. Every session uses ISO dates in UTC so the text values the
 * type mapping parses always have one shape.
 */
export function clientConfig(config: PostgresConfig, password: string | undefined, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: password ?? '',
    ssl: sslOptions(config),
    options: '-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=iso_8601 -c extra_float_digits=3',
    connectionTimeoutMillis: 10_000,
    // TCP keepalive so a peer that vanished (host down, NAT entry dropped) breaks an idle session
    // instead of leaving it open forever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'synccanvas',
    ...extra,
  };
}

/**
 * Options for sessions that run ordinary queries (writes, record reads), not the replication
 * stream, whose one long COPY must not time out: an unanswered query fails after
 * queryTimeoutSeconds (pg's "Query read timeout"), and the server cancels a statement itself a
 * little later, in case only the answer was lost.
 */
export function querySessionConfig(config: PostgresConfig, password: string | undefined): ClientConfig {
  const ms = Math.round(config.queryTimeoutSeconds * 1000);
  return clientConfig(config, password, { query_timeout: ms, statement_timeout: ms + 5_000 });
}
