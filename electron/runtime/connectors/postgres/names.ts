import { createHash } from 'node:crypto';

/**
 * Names of the server-side objects one capture owns. Slot names allow only [a-z0-9_] and 63
 * bytes, so flow and system ids are folded to that and a short hash keeps distinct ids distinct.
 */
export interface CaptureResourceNames {
  slot: string;
  publication: string;
}

function fold(text: string, max: number): string {
  return text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, max);
}

export function captureResourceNames(flowId: string, systemId: string): CaptureResourceNames {
  const hash = createHash('sha256').update(`${flowId}\u0000${systemId}`).digest('hex').slice(0, 8);
  const base = `sc_${fold(flowId, 24)}_${fold(systemId, 20)}_${hash}`;
  return { slot: base, publication: base };
}

/** The replication origin our writes carry; changes tagged with it are not decoded back (origin = none). */
export function writeOriginName(origin: string): string {
  // Origin names are free text, but keep them readable in pg_replication_origin and bounded.
  return origin.length <= 200 ? origin : `${origin.slice(0, 180)}#${createHash('sha256').update(origin).digest('hex').slice(0, 12)}`;
}

/** Entities are `table` for the public schema and `schema.table` elsewhere. */
export function entityName(schema: string, table: string): string {
  return schema === 'public' ? table : `${schema}.${table}`;
}

export function parseEntityName(entity: string): { schema: string; table: string } {
  const dot = entity.indexOf('.');
  return dot < 0 ? { schema: 'public', table: entity } : { schema: entity.slice(0, dot), table: entity.slice(dot + 1) };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedTable(entity: string): string {
  const { schema, table } = parseEntityName(entity);
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
