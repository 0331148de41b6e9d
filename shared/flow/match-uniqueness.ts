import type { SyncEdge } from './schema.js';

/**
 * What a system itself keeps unique about a field (a unique index or key), as its connector reports
 * it where it can tell (Postgres does), with the statement that adds what is missing.
 */
export interface FieldUniqueness {
  exact: boolean;
  caseInsensitive: boolean;
  fix: { exact: string; caseInsensitive: string };
}

export interface UniquenessGap {
  /** The side records are created on. */
  side: 'a' | 'b';
  /** What can go wrong and what to do, in plain words, without the statement. */
  problem: string;
  /** The statement that closes the gap. */
  sql: string;
  /** `problem: sql`. */
  message: string;
}

type Side = 'a' | 'b';
type FieldLike = { name: string; unique?: FieldUniqueness };

/**
 * Match fields of the sides this edge creates records on that their system does not keep unique the
 * way the edge matches (exactly, or ignoring case and surrounding spaces). The engine creates a
 * record when it finds none with the value; only the system's own unique index stops a second one
 * created there at the same moment by someone else. `checked`: the sides whose uniqueness is known.
 * Preflight and the sync inspector say the same.
 */
export function matchUniquenessGaps(
  sync: Pick<SyncEdge, 'direction' | 'matchKey' | 'a' | 'b'>,
  names: Record<Side, string>,
  fields: Partial<Record<Side, readonly FieldLike[] | undefined>>,
): { checked: Side[]; gaps: UniquenessGap[] } {
  const targets: Side[] = sync.direction === 'both' ? ['b', 'a'] : sync.direction === 'a-to-b' ? ['b'] : ['a'];
  const ignoreCase = sync.matchKey.normalize === 'lowercase-trim';
  const checked: Side[] = [];
  const gaps: UniquenessGap[] = [];
  for (const t of targets) {
    const field = sync.matchKey[t];
    const unique = fields[t]?.find((f) => f.name === field)?.unique;
    if (!unique) continue;
    checked.push(t);
    if (ignoreCase ? unique.caseInsensitive : unique.exact) continue;
    const sql = ignoreCase ? unique.fix.caseInsensitive : unique.fix.exact;
    const problem =
      `${names[t]} does not keep ${sync[t].entity}.${field} unique${ignoreCase ? ' ignoring case, as this edge matches' : ''}, so a record someone creates there ` +
      `while SyncCanvas creates one with the same ${field} can exist twice. Add a unique index (it fails while duplicates exist: merge them first)`;
    gaps.push({ side: t, problem, sql, message: `${problem}: ${sql}` });
  }
  return { checked, gaps };
}
