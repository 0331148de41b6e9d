import { syncError, type SyncError } from '../../../../shared/errors.js';
import type { PostgresConfig } from './config.js';

/** The fields of a server error (pg's DatabaseError) or a socket error we classify on. */
interface PgErrorLike {
  message: string;
  code?: string;
  detail?: string;
  column?: string;
  table?: string;
  constraint?: string;
}

function asPgError(err: unknown): PgErrorLike {
  if (err && typeof err === 'object' && 'message' in err) return err as PgErrorLike;
  return { message: String(err) };
}

const UNREACHABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/**
 * The server is there but not taking work: 55000 (e.g. "database is not currently accepting
 * connections"), 57P01–57P05 (admin shutdown, crash shutdown, cannot connect now, database
 * dropped, idle session timeout), and serialization failures and deadlocks, which a busy server
 * causes, not the record.
 */
const UNAVAILABLE_SQLSTATE = new Set(['55000', '57P01', '57P02', '57P03', '57P04', '57P05', '40001', '40P01']);
/** A lock or an object held by another session: about the record, retried a few times, then the DLQ. */
const TRANSIENT_SQLSTATE = new Set(['55P03', '55006']);

/**
 * True when the server (or the way to it) is unavailable rather than the record at fault: the
 * engine pauses the edge and keeps the change, never dead-letters it.
 */
export function isUnavailablePgError(err: unknown): boolean {
  const e = asPgError(err);
  const code = e.code ?? '';
  if (UNREACHABLE_SOCKET.has(code)) return true;
  if (UNAVAILABLE_SQLSTATE.has(code)) return true;
  // 08: connection exception, 53: insufficient resources (too many connections, disk full).
  if (/^(08|53)/.test(code)) return true;
  // "Query read timeout": no answer within queryTimeoutSeconds (packets dropped somewhere).
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|Query read timeout/i.test(e.message);
}

/** Worth retrying at all (unavailable, or a record-level lock conflict). */
export function isTransientPgError(err: unknown): boolean {
  return isUnavailablePgError(err) || TRANSIENT_SQLSTATE.has(asPgError(err).code ?? '');
}

/** The server's own words plus where it points (column, constraint, the failing key). */
export function describePgError(err: unknown): string {
  const e = asPgError(err);
  const parts = [e.message];
  if (e.column && !e.message.includes(`"${e.column}"`)) parts.push(`column "${e.column}"`);
  if (e.constraint && !e.message.includes(`"${e.constraint}"`)) parts.push(`constraint "${e.constraint}"`);
  if (e.detail) parts.push(e.detail);
  return parts.join(' — ');
}

/**
 * Connection trouble, a server not accepting connections, serialization failures and deadlocks
 * make the system unavailable (the edge pauses); a held lock retries; bad data is a validation error.
 */
export function classifyPgError(err: unknown): SyncError {
  const e = asPgError(err);
  const code = e.code ?? '';
  const message = describePgError(err);
  if (isUnavailablePgError(err)) return syncError('unavailable', message, code ? { response: code } : {});
  if (isTransientPgError(err)) return syncError('transient', message, { response: code || undefined });
  // 22: data exception (bad value for the type), 23: integrity constraint, 42703: no such column.
  if (/^(22|23)/.test(code) || code === '42703' || code === '42804') return syncError('validation', message, { response: code });
  return syncError('permanent', message, code ? { response: code } : {});
}

/** One sentence for a failed connect that says what is wrong and what to change. */
export function explainConnectError(err: unknown, config: PostgresConfig): string {
  const e = asPgError(err);
  const where = `${config.host}:${config.port}`;
  switch (e.code) {
    case '28P01':
      return `Authentication failed for user "${config.user}": check the password saved for this connection.`;
    case '28000':
      return `The server refused user "${config.user}" from this machine (${e.message}): add a matching line to pg_hba.conf or use another user.`;
    case '3D000':
      return `Database "${config.database}" does not exist on ${where}: check the database name.`;
    case '53300':
      return `The server has no free connection slots (too many connections): close idle sessions or raise max_connections.`;
    case '57P03':
      return `The server at ${where} is starting up or shutting down: try again in a moment.`;
    case 'ECONNREFUSED':
      return `Nothing accepts connections at ${where}: check host and port, that Postgres is running, and that listen_addresses includes this network.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host "${config.host}" could not be resolved: check the host name.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Host ${where} is unreachable: check the address, VPN and firewall.`;
    default:
      break;
  }
  if (/does not support SSL/i.test(e.message)) {
    return `The server at ${where} does not accept TLS: enable ssl on the server, or set sslmode to disable on a trusted network.`;
  }
  if (/self[- ]signed|unable to verify|certificate|altnames/i.test(e.message)) {
    return `The server certificate could not be verified (${e.message}): check sslRootCertPath and that the certificate names ${config.host}.`;
  }
  if (/no pg_hba\.conf entry/i.test(e.message)) {
    return `The server refused this connection (${e.message}): add a pg_hba.conf line for this host, user and database (with ssl if required).`;
  }
  if (/timeout/i.test(e.message)) {
    return `No answer from ${where} within 10 s: check the address, VPN and firewall.`;
  }
  return `Could not connect to ${where}: ${e.message}`;
}
