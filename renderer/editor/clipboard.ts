import type { FlowDocument, SyncEdge, SystemNode } from '../../shared/flow/schema.js';
import { uniqueId, uniqueName } from './flow-edits.js';

/** What copy puts on the clipboard: the selected systems and the syncs between them. */
export interface FlowSnippet {
  kind: 'synccanvas/snippet';
  systems: SystemNode[];
  syncs: SyncEdge[];
}

export function copySelection(flow: FlowDocument, systemIds: string[]): FlowSnippet | null {
  const ids = new Set(systemIds);
  const systems = flow.systems.filter((s) => ids.has(s.id));
  if (systems.length === 0) return null;
  const syncs = flow.syncs.filter((s) => ids.has(s.a.system) && ids.has(s.b.system));
  return { kind: 'synccanvas/snippet', systems, syncs };
}

/**
 * Pastes a snippet with fresh ids and names, shifted by `offset`, rewiring its syncs to the copies.
 * Secret references are dropped: a copy must not silently share another system's credentials.
 */
export function pasteSnippet(flow: FlowDocument, snippet: FlowSnippet, offset = { x: 40, y: 40 }): { flow: FlowDocument; systemIds: string[] } {
  const systemIds = flow.systems.map((s) => s.id);
  const names = flow.systems.map((s) => s.name);
  const syncIds = flow.syncs.map((s) => s.id);
  const rename = new Map<string, string>();
  const systems = snippet.systems.map((s) => {
    const name = uniqueName(s.name, names);
    const id = uniqueId(name, systemIds);
    names.push(name);
    systemIds.push(id);
    rename.set(s.id, id);
    return { ...s, id, name, secretRefs: {}, position: { x: s.position.x + offset.x, y: s.position.y + offset.y } };
  });
  const syncs = snippet.syncs.map((s) => {
    const id = uniqueId(s.id, syncIds);
    syncIds.push(id);
    return { ...s, id, a: { ...s.a, system: rename.get(s.a.system) ?? s.a.system }, b: { ...s.b, system: rename.get(s.b.system) ?? s.b.system } };
  });
  return { flow: { ...flow, systems: [...flow.systems, ...systems], syncs: [...flow.syncs, ...syncs] }, systemIds: systems.map((s) => s.id) };
}

/** Reads clipboard text back as a snippet; anything else is not ours and is ignored. */
export function parseSnippet(text: string): FlowSnippet | null {
  try {
    const value = JSON.parse(text) as Partial<FlowSnippet>;
    if (value && value.kind === 'synccanvas/snippet' && Array.isArray(value.systems) && Array.isArray(value.syncs)) return value as FlowSnippet;
  } catch {
    return null;
  }
  return null;
}
