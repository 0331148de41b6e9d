import { describe, expect, it } from 'vitest';
import { FlowDocumentSchema } from '../../shared/flow/schema.js';
import { copySelection, parseSnippet, pasteSnippet } from './clipboard.js';
import { canConnect, duplicatePair } from './connect-rules.js';
import { addSync, addSystem, moveSystems, newFlowDocument, removeElements, uniqueId, updateSync } from './flow-edits.js';
import { issuesAt, issueTargets } from './issue-targets.js';

function twoSystems() {
  let flow = newFlowDocument('My flow', ['demo']);
  flow = addSystem(flow, 'sqlite', 'SQLite database', { x: 10.4, y: 20 }).flow;
  flow = addSystem(flow, 'sqlite', 'SQLite database', { x: 400, y: 20 }).flow;
  return flow;
}

describe('flow edits', () => {
  it('makes readable unique ids and names', () => {
    expect(uniqueId('Demo CRM', [])).toBe('demo-crm');
    expect(uniqueId('Demo CRM', ['demo-crm', 'demo-crm-2'])).toBe('demo-crm-3');
    expect(uniqueId('!!!', [])).toBe('item');
    const flow = twoSystems();
    expect(flow.id).toBe('my-flow');
    expect(flow.systems.map((s) => [s.id, s.name, s.position.x])).toEqual([
      ['sqlite-database', 'SQLite database', 10],
      ['sqlite-database-2', 'SQLite database 2', 400],
    ]);
  });

  it('adds a sync with safe defaults, and removing a system removes its syncs', () => {
    const { flow, id } = addSync(twoSystems(), 'sqlite-database', 'sqlite-database-2');
    const sync = flow.syncs.find((s) => s.id === id)!;
    expect(sync).toMatchObject({ direction: 'a-to-b', latency: { tier: 'real-time' }, deletePolicy: { mode: 'hard' }, enabled: true });
    const removed = removeElements(flow, { systems: ['sqlite-database'] });
    expect(removed.systems).toHaveLength(1);
    expect(removed.syncs).toEqual([]);
  });

  it('moves only what changed and returns the same document for a no-op', () => {
    const flow = twoSystems();
    expect(moveSystems(flow, new Map([['sqlite-database', { x: 10, y: 20 }]]))).toBe(flow);
    const moved = moveSystems(flow, new Map([['sqlite-database', { x: 55.6, y: 20 }]]));
    expect(moved.systems[0]!.position).toEqual({ x: 56, y: 20 });
    expect(moved.systems[1]).toBe(flow.systems[1]);
  });
});

describe('connect rules', () => {
  it('allows two different existing systems only', () => {
    const flow = twoSystems();
    expect(canConnect(flow, 'sqlite-database', 'sqlite-database-2')).toEqual({ ok: true });
    expect(canConnect(flow, 'sqlite-database', 'sqlite-database')).toMatchObject({ ok: false, reason: expect.stringContaining('two different systems') });
    expect(canConnect(flow, 'sqlite-database', 'nope')).toMatchObject({ ok: false });
    expect(canConnect(flow, null, 'nope')).toMatchObject({ ok: false });
  });

  it('finds a second edge syncing the same entity pair, in either orientation', () => {
    const { flow: base, id: first } = addSync(twoSystems(), 'sqlite-database', 'sqlite-database-2');
    const second = addSync(base, 'sqlite-database-2', 'sqlite-database');
    let flow = updateSync(second.flow, first, { a: { system: 'sqlite-database', entity: 'contacts' }, b: { system: 'sqlite-database-2', entity: 'customers' } });
    expect(duplicatePair(flow, first)).toBeNull();
    flow = updateSync(flow, second.id, { a: { system: 'sqlite-database-2', entity: 'customers' }, b: { system: 'sqlite-database', entity: 'contacts' } });
    expect(duplicatePair(flow, first)).toBe(second.id);
  });
});

describe('copy and paste', () => {
  it('pastes copies with fresh ids, rewired syncs and no shared secrets', () => {
    let { flow } = addSync(twoSystems(), 'sqlite-database', 'sqlite-database-2');
    flow = { ...flow, systems: flow.systems.map((s) => ({ ...s, secretRefs: { password: 'x' } })) };
    const snippet = copySelection(flow, ['sqlite-database', 'sqlite-database-2'])!;
    expect(snippet.syncs).toHaveLength(1);
    const text = JSON.stringify(snippet);
    const pasted = pasteSnippet(flow, parseSnippet(text)!);
    expect(pasted.systemIds).toEqual(['sqlite-database-3', 'sqlite-database-4']);
    const copy = pasted.flow.syncs[1]!;
    expect([copy.a.system, copy.b.system]).toEqual(['sqlite-database-3', 'sqlite-database-4']);
    expect(pasted.flow.systems[2]!.secretRefs).toEqual({});
    expect(pasted.flow.systems[2]!.position).toEqual({ x: 50, y: 60 });
    expect(copySelection(flow, [])).toBeNull();
    expect(parseSnippet('hello')).toBeNull();
    expect(parseSnippet('{"kind":"other"}')).toBeNull();
  });
});

describe('validation issues on elements', () => {
  it('puts each schema issue on the system or sync it is about', () => {
    const { flow } = addSync(twoSystems(), 'sqlite-database', 'sqlite-database-2');
    const result = FlowDocumentSchema.safeParse({ ...flow, name: '' });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, ''), message: i.message }));
    const targets = issueTargets(flow, issues);
    expect(targets.flow.map((i) => i.path)).toContain('name');
    const syncIssues = targets.syncs['sqlite-database-to-sqlite-database-2']!;
    expect(issuesAt(syncIssues, 'fields').length).toBe(1);
    expect(issuesAt(syncIssues, 'a').map((i) => i.path)).toEqual(['a.entity']);
    expect(issueTargets(flow, [{ path: 'systems[7].name', message: 'x' }]).flow).toHaveLength(1);
  });
});
