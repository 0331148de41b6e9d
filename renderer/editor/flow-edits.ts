import { FLOW_SCHEMA_VERSION, type FlowDocument, type SyncEdge, type SystemNode } from '../../shared/flow/schema.js';

/**
 * Edits of a draft flow document as pure functions: each returns a new document (or the same one
 * when nothing changes), which is what the undo history stores.
 */

/** An id made from a name ("Demo CRM" → "demo-crm"), suffixed until it is not taken. */
export function uniqueId(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48) || 'item';
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function newFlowDocument(name: string, takenIds: Iterable<string>): FlowDocument {
  return { schemaVersion: FLOW_SCHEMA_VERSION, id: uniqueId(name, takenIds), name, systems: [], syncs: [] };
}

/** A name for a new system of this kind that no other system in the flow has ("SQLite database 2"). */
export function uniqueName(label: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(label)) return label;
  // A copy of "CRM 2" becomes "CRM 3", not "CRM 2 2".
  const base = label.replace(/ \d+$/, '');
  for (let i = 2; ; i++) if (!used.has(`${base} ${i}`)) return `${base} ${i}`;
}

export function addSystem(flow: FlowDocument, kind: string, label: string, position: { x: number; y: number }): { flow: FlowDocument; id: string } {
  const name = uniqueName(label, flow.systems.map((s) => s.name));
  const id = uniqueId(name, flow.systems.map((s) => s.id));
  const system: SystemNode = { id, name, kind, config: {}, secretRefs: {}, position: { x: Math.round(position.x), y: Math.round(position.y) } };
  return { flow: { ...flow, systems: [...flow.systems, system] }, id };
}

export function moveSystems(flow: FlowDocument, positions: ReadonlyMap<string, { x: number; y: number }>): FlowDocument {
  let changed = false;
  const systems = flow.systems.map((s) => {
    const p = positions.get(s.id);
    if (!p) return s;
    const x = Math.round(p.x);
    const y = Math.round(p.y);
    if (x === s.position.x && y === s.position.y) return s;
    changed = true;
    return { ...s, position: { x, y } };
  });
  return changed ? { ...flow, systems } : flow;
}

export function updateSystem(flow: FlowDocument, id: string, patch: Partial<Omit<SystemNode, 'id'>>): FlowDocument {
  return { ...flow, systems: flow.systems.map((s) => (s.id === id ? { ...s, ...patch } : s)) };
}

export function updateSync(flow: FlowDocument, id: string, patch: Partial<Omit<SyncEdge, 'id'>>): FlowDocument {
  return { ...flow, syncs: flow.syncs.map((s) => (s.id === id ? { ...s, ...patch } : s)) };
}

/** Removes systems and syncs; a sync that loses one of its systems goes with it. */
export function removeElements(flow: FlowDocument, ids: { systems?: string[]; syncs?: string[] }): FlowDocument {
  const systems = new Set(ids.systems ?? []);
  const syncs = new Set(ids.syncs ?? []);
  if (systems.size === 0 && syncs.size === 0) return flow;
  return {
    ...flow,
    systems: flow.systems.filter((s) => !systems.has(s.id)),
    syncs: flow.syncs.filter((s) => !syncs.has(s.id) && !systems.has(s.a.system) && !systems.has(s.b.system)),
  };
}

/** A new sync from `source` (side a) to `target` (side b) with the product's safe defaults; entities and fields are chosen in the inspector. */
export function addSync(flow: FlowDocument, source: string, target: string): { flow: FlowDocument; id: string } {
  const a = flow.systems.find((s) => s.id === source);
  const b = flow.systems.find((s) => s.id === target);
  const id = uniqueId(`${a?.name ?? source} to ${b?.name ?? target}`, flow.syncs.map((s) => s.id));
  const sync: SyncEdge = {
    id,
    a: { system: source, entity: '' },
    b: { system: target, entity: '' },
    direction: 'a-to-b',
    matchKey: { a: '', b: '', normalize: 'lowercase-trim' },
    fields: [],
    latency: { tier: 'real-time' },
    deletePolicy: { mode: 'hard' },
    conflictPolicy: { mode: 'newest-wins', skewToleranceMs: 5000 },
    ownershipViolation: 'report',
    pollIntervalMs: 0,
    enabled: true,
  };
  return { flow: { ...flow, syncs: [...flow.syncs, sync] }, id };
}
