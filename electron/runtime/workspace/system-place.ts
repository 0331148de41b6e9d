import { resolveDatabasePath } from '../connectors/sqlite/config.js';
import type { SystemNode } from '../../../shared/flow/schema.js';


const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const host = (v: unknown): string => {
  const h = text(v).toLowerCase();
  return h === 'localhost' || h === '::1' ? '127.0.0.1' : h;
};
/** A URL without credentials or trailing slash, host lowercased; unparseable text is compared as given. */
const address = (v: unknown): string => {
  const s = text(v);
  try {
    const u = new URL(s);
    return `${u.protocol}//${host(u.hostname)}${u.port ? `:${u.port}` : ''}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return s;
  }
};

/**
 * Where a system's data physically lives (kind, address, container; not the entity), comparable
 * across flows whatever their systems are called: a SQLite file by its absolute path, Postgres by
 * host, port and database, a queue by its server and stream, a REST API by its base URL.
 */
export function systemPlace(system: Pick<SystemNode, 'kind' | 'config'>, dataDir: string, home?: string): string {
  const c = system.config;
  switch (system.kind) {
    case 'sqlite':
      return `sqlite:${resolveDatabasePath(text(c.path), dataDir, home)}`;
    case 'postgres':
      return `postgres:${host(c.host)}:${text(c.port) || '5432'}/${text(c.database)}`;
    case 'webhook':
      // Deliveries arrive on a port; two flows cannot both listen there, and the second start fails to bind.
      return `webhook:${host(c.host) || '127.0.0.1'}:${text(c.port)}`;
    case 'nats':
      return `nats:${[c.servers].flat().map(address).sort().join(',')}/${text(c.stream)}/${text(c.subjectPrefix)}`;
    case 'redis-streams':
      return `redis-streams:${address(c.url)}/${text(c.keyPrefix)}`;
    case 'rabbitmq':
      return `rabbitmq:${address(c.url)}/${text(c.vhost)}/${text(c.exchange)}`;
    case 'jsonl-folder':
      return `jsonl-folder:${resolveDatabasePath(text(c.folder), dataDir, home)}`;
    default:
      // REST and the shipped SaaS definitions: the account is the API's address (its own default when empty).
      return `${system.kind}:${address(c.baseUrl)}`;
  }
}

/** The entity as the place names it: a Postgres table without a schema is in the first configured schema. */
export function entityAt(system: Pick<SystemNode, 'kind' | 'config'>, entity: string): string {
  if (system.kind !== 'postgres' || entity.includes('.')) return entity;
  const schemas = system.config.schemas;
  return `${Array.isArray(schemas) && typeof schemas[0] === 'string' ? schemas[0] : 'public'}.${entity}`;
}
