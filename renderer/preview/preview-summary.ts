import type { PreviewAction, PreviewResult, PreviewRow } from '../../shared/api/contract.js';

export const ACTION_ORDER: PreviewAction[] = ['create', 'update', 'conflict', 'invalid', 'delete', 'no-op'];

export const ACTION_LABEL: Record<PreviewAction, string> = {
  create: 'Create',
  update: 'Update',
  'no-op': 'No change',
  conflict: 'Conflict',
  invalid: 'Invalid',
  delete: 'Delete',
};

export function countByAction(rows: readonly PreviewRow[]): Record<PreviewAction, number> {
  const out = { create: 0, update: 0, 'no-op': 0, conflict: 0, invalid: 0, delete: 0 } as Record<PreviewAction, number>;
  for (const r of rows) out[r.action]++;
  return out;
}

/** Rows worth a look first: what changes or fails, then the no-ops. */
export function orderRows<R extends PreviewRow>(rows: readonly R[]): R[] {
  const rank = (r: PreviewRow) => ACTION_ORDER.indexOf(r.action);
  return [...rows].sort((x, y) => rank(x) - rank(y));
}

/** The audit as sentences a non-engineer can act on. */
export function auditFindings(audit: PreviewResult['audit']): string[] {
  const out: string[] = [];
  if (audit.duplicateMatchKeys.length) out.push(`${audit.duplicateMatchKeys.length} match value${audit.duplicateMatchKeys.length === 1 ? ' is' : 's are'} used by more than one sample: ${audit.duplicateMatchKeys.slice(0, 5).join(', ')}`);
  if (audit.missingRequired.length) out.push(`${audit.missingRequired.length} required value${audit.missingRequired.length === 1 ? ' is' : 's are'} missing: ${audit.missingRequired.slice(0, 5).map((m) => `${m.key}.${m.field}`).join(', ')}`);
  if (audit.multipleMatches.length) out.push(`${audit.multipleMatches.length} record${audit.multipleMatches.length === 1 ? '' : 's'} would match more than one target: ${audit.multipleMatches.slice(0, 5).join(', ')}`);
  const bad = (list: { key: string; value: string }[] | undefined, what: string) => {
    if (list?.length) out.push(`${list.length} ${what}${list.length === 1 ? '' : 's'} look${list.length === 1 ? 's' : ''} invalid: ${list.slice(0, 5).map((b) => `${b.key} "${b.value}"`).join(', ')}`);
  };
  bad(audit.invalidEmails, 'email');
  bad(audit.invalidPhones, 'phone number');
  return out;
}
