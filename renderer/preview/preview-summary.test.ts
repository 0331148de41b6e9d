import { describe, expect, it } from 'vitest';
import type { PreviewRow } from '../../shared/api/contract.js';
import { auditFindings, countByAction, orderRows } from './preview-summary.js';

const row = (action: PreviewRow['action'], key = 'k'): PreviewRow => ({ sourceKey: key, targetKey: null, action, changes: [], reason: null });

describe('preview summary', () => {
  it('counts and orders rows so changes and failures come first', () => {
    const rows = [row('no-op', '1'), row('update', '2'), row('invalid', '3'), row('create', '4')];
    expect(countByAction(rows)).toMatchObject({ create: 1, update: 1, invalid: 1, 'no-op': 1, conflict: 0 });
    expect(orderRows(rows).map((r) => r.sourceKey)).toEqual(['4', '2', '3', '1']);
  });

  it('explains the data audit', () => {
    expect(auditFindings({ duplicateMatchKeys: ['a@x'], missingRequired: [{ key: '7', field: 'email' }], multipleMatches: [] })).toEqual([
      '1 match value is used by more than one sample: a@x',
      '1 required value is missing: 7.email',
    ]);
    expect(auditFindings({ duplicateMatchKeys: [], missingRequired: [], multipleMatches: [] })).toEqual([]);
    expect(auditFindings({ duplicateMatchKeys: [], missingRequired: [], multipleMatches: [], invalidEmails: [{ key: '3', field: 'email', value: 'bob@' }], invalidPhones: [] })).toEqual(['1 email looks invalid: 3 "bob@"']);
  });
});
