import { describe, expect, it } from 'vitest';
import type { MatchingReport } from '../../../shared/api/contract.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import { testFlow } from '../engine/test-support/flows.js';
import { preflightEdges, type PreflightFacts, type SystemProbe } from './preflight.js';

const report: MatchingReport = {
  syncId: 's1',
  matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
  read: { a: 1, b: 0, truncated: false },
  matched: 0,
  alreadyLinked: 0,
  unmatched: { a: [], b: [] },
  duplicates: { a: [], b: [] },
  missingKey: { a: [], b: [] },
};
const probe: SystemProbe = { connection: { ok: true, message: 'ok' }, secrets: [], pollIntervalMs: 50 };
const facts = (tokenKeys: PreflightFacts['tokenKeys']): PreflightFacts => ({ systems: new Map([['crm', probe], ['billing', probe]]), matching: new Map([['s1', report]]), dlqDepth: () => 0, maxAttempts: 8, tokenKeys });
const token = { type: 'token', keyRef: 'ai/key', keyId: 'k1' };

const flow = (fields: unknown[], aiFeed: Record<string, unknown> = {}) => testFlow({ fields: fields as SyncEdge['fields'], aiFeed } as Partial<SyncEdge>);
const aiCheck = (f: ReturnType<typeof flow>, tk: PreflightFacts['tokenKeys'] = new Map([['ai/key', { ok: true }]])) => {
  const edge = preflightEdges(f, facts(tk))[0]!;
  return { ok: edge.ok, check: edge.checks.find((c) => c.id === 'ai-feed') };
};

describe('preflight of an AI feed', () => {
  it('blocks go-live while a field is unclassified or unmasked, and passes once it is masked', () => {
    const raw = [
      { a: 'email', b: 'contact_email', owner: 'a', class: 'email' },
      { a: 'name', b: 'full_name', owner: 'a' },
    ];
    const blocked = aiCheck(flow(raw));
    expect(blocked.ok).toBe(false);
    expect(blocked.check!.detail).toBe(
      '"email" holds email and is not masked: add a token, redact or partial; "name" is not classified: choose what it holds (or "not sensitive"); the match key "email" holds email: mask it with a token (the same value gives the same token, so records still match)',
    );
    const masked = aiCheck(
      flow([
        { a: 'email', b: 'contact_email', owner: 'a', class: 'email', toB: [token] },
        { a: 'name', b: 'full_name', owner: 'a', class: 'person-name', toB: [{ type: 'redact' }] },
      ]),
    );
    expect(masked).toMatchObject({ ok: true, check: { ok: true, detail: '2 fields classified, 2 sensitive and masked; every record is checked against the generated contract and the scanner' } });
  });

  it('fails on a missing or short token key and on an edited contract it cannot enforce', () => {
    const fields = [{ a: 'email', b: 'contact_email', owner: 'a', class: 'email', toB: [token] }];
    expect(aiCheck(flow(fields), new Map([['ai/key', { ok: false, problem: 'the token key "ai/key" is in no secret source' }]])).check!.detail).toBe('the token key "ai/key" is in no secret source');
    const bad = aiCheck(flow(fields, { contract: { type: 'object', anyOf: [] } }));
    expect(bad.check!.detail).toMatch(/^the contract: #: "anyOf" is not supported here/);
  });

  it('is not on an edge that is not an AI feed', () => {
    expect(preflightEdges(testFlow(), facts(new Map()))[0]!.checks.some((c) => c.id === 'ai-feed')).toBe(false);
  });
});
