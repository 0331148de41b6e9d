import { describe, expect, it } from 'vitest';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import { tokenKeyFromSecret } from '../masking/token.js';
import { previewSync } from './preview.js';
import { testFlow } from './test-support/flows.js';

const tokenKeys = new Map([['ai/key', tokenKeyFromSecret('ai/key', 'x'.repeat(32))]]);
const sync = testFlow({
  matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
  fields: [
    { a: 'email', b: 'contact_email', owner: 'a', class: 'email', toB: [{ type: 'token', keyRef: 'ai/key', keyId: 'k1', normalize: 'lowercase-trim' }], toA: [], required: false },
    { a: 'name', b: 'full_name', owner: 'a', class: 'free-text', toB: [{ type: 'scan', action: 'mask', kinds: ['email', 'phone', 'payment-card', 'iban', 'national-id'] }], toA: [], required: false },
  ],
  aiFeed: {},
} as Partial<SyncEdge>).syncs[0]!;

describe('preview of an AI feed', () => {
  it('shows each field original beside masked, the contract check and where the scanner found values', () => {
    const r = previewSync({ sync, direction: 'a-to-b', samples: [{ key: 'c1', fields: { email: 'Ann@X.io', name: 'Ann, card 4111111111111111' } }], targets: [], links: new Map(), targetFields: null, now: 1, transformContext: { tokenKeys } });
    const row = r.rows[0]!;
    expect(row.action).toBe('create');
    expect(row.ai!.fields).toEqual([
      { source: 'email', target: 'contact_email', class: 'email', original: 'Ann@X.io', masked: expect.stringMatching(/^tok_k1_/), error: null },
      { source: 'name', target: 'full_name', class: 'free-text', original: 'Ann, card 4111111111111111', masked: 'Ann, card [card]', error: null },
    ]);
    expect(row.ai!.contract).toEqual([]);
    expect(row.ai!.findings).toEqual([
      { field: 'email', kind: 'email', start: 0, end: 8 },
      { field: 'name', kind: 'payment-card', start: 10, end: 26 },
    ]);
    // The write itself holds the masked values only.
    expect(JSON.stringify(row.changes)).not.toContain('Ann@X.io');
  });

  it('a record the feed refuses shows why, with the field that could not be masked', () => {
    const r = previewSync({ sync, direction: 'a-to-b', samples: [{ key: 'c1', fields: { email: 'a@b.io', name: 'x' } }], targets: [], links: new Map(), targetFields: null, now: 1 });
    expect(r.rows[0]!.action).toBe('invalid');
    expect(r.rows[0]!.reason).toMatch(/the token key "ai\/key" is not loaded/);
    expect(r.rows[0]!.ai!.fields[0]!.error).toMatch(/is not loaded/);
  });
});
