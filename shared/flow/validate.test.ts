import { describe, expect, it } from 'vitest';
import { FLOW_SCHEMA_VERSION } from './schema.js';
import { formatIssues, formatPath, parseFlowDocument, parseFlowText } from './validate.js';

function validDoc(): Record<string, unknown> {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    id: 'f1',
    name: 'Flow',
    systems: [
      { id: 'crm', name: 'CRM', kind: 'postgres' },
      { id: 'billing', name: 'Billing', kind: 'sqlite' },
    ],
    syncs: [
      {
        id: 's1',
        a: { system: 'crm', entity: 'contacts' },
        b: { system: 'billing', entity: 'customers' },
        direction: 'a-to-b',
        matchKey: { a: 'email', b: 'email' },
        fields: [{ a: 'email', b: 'email', owner: 'a' }],
      },
    ],
  };
}

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath(['syncs', 0, 'fields', 2, 'owner'])).toBe('syncs[0].fields[2].owner');
    expect(formatPath(['name'])).toBe('name');
    expect(formatPath([])).toBe('(document)');
  });
});

describe('parseFlowText', () => {
  it('parses a valid document', () => {
    const r = parseFlowText(JSON.stringify(validDoc()));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.flow.syncs[0]!.id).toBe('s1');
  });

  it('reports a JSON syntax error on the file, with the parser\'s reason and what to do', () => {
    const r = parseFlowText('{"schemaVersion": 2, "id": "f1",');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]!.path).toBe('(file)');
    expect(r.issues[0]!.message).toMatch(/^is not valid JSON \(.+\): fix the syntax/);
  });

  it('refuses a document from a newer version, telling the user to update', () => {
    const r = parseFlowText(JSON.stringify({ ...validDoc(), schemaVersion: FLOW_SCHEMA_VERSION + 1 }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      { path: 'schemaVersion', message: `this flow was saved by a newer SyncCanvas (format ${FLOW_SCHEMA_VERSION + 1}); this build reads formats up to ${FLOW_SCHEMA_VERSION}: update the app to open it` },
    ]);
  });

  it('refuses a schemaVersion that is not a whole number', () => {
    for (const v of ['2', 1.5, 0, -1, null]) {
      const r = parseFlowDocument({ ...validDoc(), schemaVersion: v });
      expect(r.ok, `schemaVersion ${JSON.stringify(v)}`).toBe(false);
      if (!r.ok) expect(r.issues).toEqual([{ path: 'schemaVersion', message: expect.stringContaining(`whole number from 1 to ${FLOW_SCHEMA_VERSION}`) }]);
    }
  });

  it('refuses JSON that is not an object', () => {
    for (const text of ['[]', 'null', '42', '"flow"']) {
      const r = parseFlowText(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.issues).toEqual([{ path: '(document)', message: expect.stringContaining('a flow document is a JSON object') }]);
    }
  });
});

describe('issue messages', () => {
  it('says a missing field is missing', () => {
    const d = validDoc();
    delete d.name;
    const r = parseFlowDocument(d);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual([{ path: 'name', message: expect.stringMatching(/^is missing/) }]);
  });

  it('says a field of the wrong type has the wrong type, not that it is missing', () => {
    const r = parseFlowDocument({ ...validDoc(), name: 42, systems: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
    expect(byPath.name).toBe('must be a string, not a number');
    expect(byPath.systems).toBe('must be an array, not an object');
  });

  it('lists the allowed values of an enum', () => {
    const d = validDoc();
    (d.syncs as Record<string, unknown>[])[0]!.direction = 'sideways';
    const r = parseFlowDocument(d);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues).toEqual([{ path: 'syncs[0].direction', message: 'must be one of "a-to-b", "b-to-a", "both"' }]);
  });

  it('formats issues one per line with their path', () => {
    expect(formatIssues([{ path: 'a', message: 'x' }, { path: 'b[0]', message: 'y' }])).toBe('  a: x\n  b[0]: y');
  });
});
