import type { MatchingReport } from '../../../shared/api/contract.js';
import type { Side, SyncEdge } from '../../../shared/flow/schema.js';
import type { SourceRecord } from '../connectors/types.js';
import { normalizeMatch } from './values.js';

/**
 * First-sync record matching, as a report and with nothing written: which records pair up by the
 * match key, which are already linked, which would be created on the other side, which share a match
 * value with another record on their own side (duplicates to merge first) and which have none.
 */
export function matchingReport(
  sync: SyncEdge,
  records: Record<Side, SourceRecord[]>,
  linkedKey: (side: Side, key: string) => string | null,
  truncated: boolean,
): MatchingReport {
  const bySide = { a: new Map<string, string[]>(), b: new Map<string, string[]>() };
  const missingKey: MatchingReport['missingKey'] = { a: [], b: [] };
  for (const side of ['a', 'b'] as const) {
    for (const r of records[side]) {
      const v = normalizeMatch(r.fields[sync.matchKey[side]], sync.matchKey.normalize);
      if (v === null) {
        missingKey[side].push(r.key);
        continue;
      }
      bySide[side].set(v, [...(bySide[side].get(v) ?? []), r.key]);
    }
  }
  const duplicates: MatchingReport['duplicates'] = { a: [], b: [] };
  for (const side of ['a', 'b'] as const) {
    for (const [value, keys] of bySide[side]) if (keys.length > 1) duplicates[side].push({ value, keys });
  }
  let matched = 0;
  let alreadyLinked = 0;
  const unmatched: MatchingReport['unmatched'] = { a: [], b: [] };
  for (const [value, aKeys] of bySide.a) {
    const bKeys = bySide.b.get(value);
    if (aKeys.length > 1 || (bKeys && bKeys.length > 1)) continue; // duplicates: reported above
    if (!bKeys) {
      if (linkedKey('a', aKeys[0]!) === null) unmatched.a.push(aKeys[0]!);
      else alreadyLinked++;
      continue;
    }
    if (linkedKey('a', aKeys[0]!) === bKeys[0]) alreadyLinked++;
    else matched++;
  }
  for (const [value, bKeys] of bySide.b) {
    if (bKeys.length > 1 || bySide.a.has(value)) continue;
    if (linkedKey('b', bKeys[0]!) === null) unmatched.b.push(bKeys[0]!);
    else alreadyLinked++;
  }
  return {
    syncId: sync.id,
    matchKey: { a: sync.matchKey.a, b: sync.matchKey.b, normalize: sync.matchKey.normalize },
    read: { a: records.a.length, b: records.b.length, truncated },
    matched,
    alreadyLinked,
    unmatched,
    duplicates,
    missingKey,
  };
}
