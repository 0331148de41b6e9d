import type { FieldClass, FieldMapping, SyncEdge, Transform } from '../flow/schema.js';

/**
 * The AI-feed policy as data (docs/ai-feeds.md): which transforms mask which classes, and what an
 * AI-feed edge still lacks before it may go live. Preflight and the inspector read the same list.
 */

export const SENSITIVE_CLASSES: readonly FieldClass[] = ['email', 'phone', 'person-name', 'postal-address', 'payment-card', 'iban', 'national-id', 'date-of-birth', 'free-text'];

export const isSensitive = (c: FieldClass | undefined): boolean => c !== undefined && c !== 'not-sensitive';

/** Whether `t` hides a value of class `c` (a generalization only where it means something for the class). */
export function masks(t: Transform, c: FieldClass): boolean {
  switch (t.type) {
    case 'redact':
    case 'token':
      return true;
    case 'partial':
      return c !== 'free-text';
    case 'generalize':
      return (c === 'date-of-birth' && (t.to === 'month' || t.to === 'year')) || (c === 'postal-address' && t.to === 'city');
    case 'scan':
      return c === 'free-text';
    default:
      return false;
  }
}

/** Transforms on the way into the feed's sink. */
export function feedTransforms(sync: SyncEdge, m: FieldMapping): Transform[] {
  return sync.direction === 'b-to-a' ? m.toA : m.toB;
}

export const feedSide = (sync: SyncEdge): { source: 'a' | 'b'; target: 'a' | 'b' } => (sync.direction === 'b-to-a' ? { source: 'b', target: 'a' } : { source: 'a', target: 'b' });

export interface FeedProblem {
  field: string | null;
  message: string;
}

/** What blocks this AI feed from going live; empty when it may. */
export function feedProblems(sync: SyncEdge): FeedProblem[] {
  if (!sync.aiFeed) return [];
  const out: FeedProblem[] = [];
  const { source } = feedSide(sync);
  if (sync.direction === 'both') out.push({ field: null, message: 'an AI feed runs one way: make the sync a → b or b → a' });
  for (const m of sync.fields) {
    const name = m[source];
    if (!m.class) {
      out.push({ field: name, message: `"${name}" is not classified: choose what it holds (or "not sensitive")` });
      continue;
    }
    if (!isSensitive(m.class)) continue;
    if (!feedTransforms(sync, m).some((t) => masks(t, m.class!))) {
      const how = m.class === 'free-text' ? 'add a scan (mask or block), a token or redact' : m.class === 'date-of-birth' ? 'add a token, redact, partial or generalize to month/year' : m.class === 'postal-address' ? 'add a token, redact, partial or generalize to city' : 'add a token, redact or partial';
      out.push({ field: name, message: `"${name}" holds ${m.class} and is not masked: ${how}` });
    }
  }
  const key = sync.matchKey[source];
  const km = sync.fields.find((m) => m[source] === key);
  if (!km) out.push({ field: key, message: `the match key "${key}" is not a mapped field, so its raw value would reach the sink: map it (classified and masked)` });
  else if (isSensitive(km.class) && !feedTransforms(sync, km).some((t) => t.type === 'token')) {
    out.push({ field: key, message: `the match key "${key}" holds ${km.class}: mask it with a token (the same value gives the same token, so records still match)` });
  }
  return out;
}
