import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MatchingReport, PreviewResult } from '../../shared/api/contract.js';
import { main, EXIT } from './cli.js';
import { DEMO_FLOW } from './demo/demo-flow.js';
import { ensureDemoSystems } from './demo/demo-systems.js';

/** `synccanvas preview` and `synccanvas match` on the demo databases: real reads, nothing written. */
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-preview-'));
afterAll(() => fs.rmSync(ws, { recursive: true, force: true }));
const { crmPath, billingPath } = ensureDemoSystems(path.join(ws, 'data'));
const flowFile = path.join(ws, 'demo.flow.json');
fs.writeFileSync(flowFile, JSON.stringify(DEMO_FLOW));

function dump(file: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'trigger') ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.filter((t) => !t.startsWith('sqlite_')).map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]));
  } catch {
    return null;
  } finally {
    db.close();
  }
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('synccanvas preview and match', () => {
  it('previews the demo edge with field diffs and writes nothing to either system', async () => {
    const before = [dump(crmPath), dump(billingPath)];
    const r = await run(['preview', flowFile, '--sync', 'contacts-customers', '--limit', '50', '--json', '--workspace', ws]);
    expect(r.code, r.err).toBe(EXIT.ok);
    const result = JSON.parse(r.out) as PreviewResult;
    expect(result.wrote).toBe(0);
    expect(result.rows).toHaveLength(40);
    const actions = new Set(result.rows.map((x) => x.action));
    expect(actions.has('create')).toBe(true); // CRM-only leads
    expect(actions.has('update')).toBe(true); // phones formatted to E.164, emails lower-cased
    const update = result.rows.find((x) => x.action === 'update')!;
    expect(update.changes.length).toBeGreaterThan(0);
    expect(update.changes[0]).toHaveProperty('from');
    expect([dump(crmPath), dump(billingPath)]).toEqual(before);
  });

  it('reports first-sync matching by email before anything is written', async () => {
    const before = [dump(crmPath), dump(billingPath)];
    const r = await run(['match', flowFile, '--sync', 'contacts-customers', '--json', '--workspace', ws]);
    expect(r.code, r.err).toBe(EXIT.ok);
    const report = JSON.parse(r.out) as MatchingReport;
    expect(report).toMatchObject({ read: { a: 40, b: 37, truncated: false }, matched: 34, alreadyLinked: 0 });
    expect(report.unmatched.a).toHaveLength(6);
    expect(report.unmatched.b).toHaveLength(3);
    expect([dump(crmPath), dump(billingPath)]).toEqual(before);
    const text = await run(['match', flowFile, '--sync', 'contacts-customers', '--workspace', ws]);
    expect(text.out).toContain('34 pairs would be linked');
  });

  it('names the syncs to choose from when --sync is wrong', async () => {
    const r = await run(['preview', flowFile, '--sync', 'nope', '--workspace', ws]);
    expect(r.code).toBe(EXIT.failed);
    expect(r.err).toContain('has no sync "nope": use one of "contacts-customers"');
  });
});
