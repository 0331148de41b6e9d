import pg from 'pg';
import type { ConnectionCheck, ConnectionTestResult } from '../types.js';
import { readSlot } from './capture-resources.js';
import { clientConfig, type PostgresConfig } from './config.js';
import { describePgError, explainConnectError } from './errors.js';

export interface ConnectionTestTarget {
  config: PostgresConfig;
  password: string | undefined;
  /** This capture's slot: when it already exists, a full slot table is no problem. */
  slot: string;
}

/** Checks that only warn: the connection works, one feature is reduced. */
const ADVISORY = new Set(['write origin']);

function result(checks: ConnectionCheck[]): ConnectionTestResult {
  const failed = checks.find((c) => !c.ok && !ADVISORY.has(c.name));
  if (failed) return { ok: false, message: failed.message, checks };
  const warn = checks.find((c) => !c.ok);
  const base = 'Connected: logical replication is ready for change capture.';
  return { ok: true, message: warn ? `${base} Note: ${warn.message}` : base, checks };
}

/**
 * Connects the way capture and writes will, and checks each server setting change capture needs,
 * saying for each failure what to change.
 */
export async function testPostgresConnection(target: ConnectionTestTarget): Promise<ConnectionTestResult> {
  const { config } = target;
  const checks: ConnectionCheck[] = [];
  let client: pg.Client;
  try {
    client = new pg.Client(clientConfig(config, target.password));
    await client.connect();
  } catch (err) {
    checks.push({ name: 'connect', ok: false, message: explainConnectError(err, config) });
    return result(checks);
  }
  client.on('error', () => {});
  try {
    checks.push({ name: 'connect', ok: true, message: `Connected to ${config.database} on ${config.host}:${config.port} as ${config.user}.` });
    const settings = await client.query<{ version: string; wal_level: string; max_slots: string; used_slots: string; superuser: boolean; replication: boolean }>(
      `SELECT current_setting('server_version_num') AS version, current_setting('wal_level') AS wal_level,
              current_setting('max_replication_slots') AS max_slots,
              (SELECT count(*) FROM pg_replication_slots)::text AS used_slots,
              r.rolsuper AS superuser, r.rolreplication AS replication
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    const s = settings.rows[0]!;
    const version = Number(s.version);
    checks.push(
      version >= 100000
        ? { name: 'server version', ok: true, message: `Postgres ${Math.floor(version / 10000)}.` }
        : { name: 'server version', ok: false, message: `Postgres ${Math.floor(version / 10000)} is too old for pgoutput logical replication: upgrade to Postgres 10 or later (16+ recommended).` },
    );
    checks.push(
      s.wal_level === 'logical'
        ? { name: 'wal_level', ok: true, message: 'wal_level is logical.' }
        : { name: 'wal_level', ok: false, message: `wal_level is '${s.wal_level}', but change capture needs 'logical': run ALTER SYSTEM SET wal_level = logical; and restart Postgres (managed services: set the logical replication / rds.logical_replication parameter).` },
    );
    checks.push(
      s.superuser || s.replication
        ? { name: 'replication privilege', ok: true, message: `${config.user} may open replication connections.` }
        : { name: 'replication privilege', ok: false, message: `User "${config.user}" lacks the REPLICATION privilege needed to read changes: run ALTER ROLE "${config.user}" WITH REPLICATION; as a superuser (managed services: GRANT rds_replication or the provider's equivalent).` },
    );
    const free = Number(s.max_slots) - Number(s.used_slots);
    const ours = await readSlot(client, target.slot);
    checks.push(
      free > 0 || ours
        ? { name: 'replication slots', ok: true, message: ours ? `This flow's slot ${target.slot} exists.` : `${free} of ${s.max_slots} replication slots free.` }
        : { name: 'replication slots', ok: false, message: `All ${s.max_slots} replication slots are in use: drop unused ones (SELECT slot_name, active FROM pg_replication_slots; then SELECT pg_drop_replication_slot('name');) or raise max_replication_slots and restart Postgres.` },
    );
    const schemas = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])', [config.schemas]);
    const missing = config.schemas.filter((n) => !schemas.rows.some((r) => r.nspname === n));
    checks.push(
      missing.length === 0
        ? { name: 'schemas', ok: true, message: `Schema(s) ${config.schemas.join(', ')} found.` }
        : { name: 'schemas', ok: false, message: `Schema(s) ${missing.join(', ')} do not exist in database ${config.database}: fix the schemas setting.` },
    );
    const origin = await client.query<{ ok: boolean }>(
      `SELECT bool_and(has_function_privilege(p.oid, 'EXECUTE')) AS ok FROM pg_proc p
        WHERE p.proname IN ('pg_replication_origin_create', 'pg_replication_origin_session_setup') AND p.pronamespace = 'pg_catalog'::regnamespace`,
    );
    const originOk = s.superuser || origin.rows[0]?.ok === true;
    checks.push(
      originOk
        ? { name: 'write origin', ok: true, message: version >= 160000 ? 'Writes are origin-tagged and not captured back.' : 'Writes are origin-tagged (Postgres < 16: echoes are dropped by the runtime).' }
        : { name: 'write origin', ok: false, message: `writes cannot be tagged with a replication origin, so the runtime suppresses echoes by comparing values only: GRANT EXECUTE ON FUNCTION pg_replication_origin_create, pg_replication_origin_session_setup TO "${config.user}";` },
    );
  } catch (err) {
    checks.push({ name: 'server settings', ok: false, message: `Could not read server settings: ${describePgError(err)}` });
  } finally {
    await client.end().catch(() => {});
  }
  if (checks.every((c) => c.ok || ADVISORY.has(c.name))) {
    // The settings look right; a real replication handshake proves it (pg_hba, max_wal_senders).
    const replication = new pg.Client(clientConfig(config, target.password, { replication: 'database' } as Partial<pg.ClientConfig>));
    replication.on('error', () => {});
    try {
      await replication.connect();
      await replication.query('IDENTIFY_SYSTEM');
      checks.push({ name: 'replication connection', ok: true, message: 'A replication connection was accepted.' });
    } catch (err) {
      const message = describePgError(err);
      checks.push({
        name: 'replication connection',
        ok: false,
        message: /max_wal_senders|too many/i.test(message)
          ? `The server has no free WAL sender (${message}): raise max_wal_senders and restart Postgres.`
          : `A replication connection was refused: ${message}. Check pg_hba.conf allows this user to connect to ${config.database}.`,
      });
    } finally {
      await replication.end().catch(() => {});
    }
  }
  return result(checks);
}
