import type { FlowDocument } from './schema.js';

export interface TableInTwoSyncs {
  system: string;
  entity: string;
  /** Sync ids, in flow order. */
  syncs: string[];
  /** Plain words, for preflight and for the refusal to start. */
  message: string;
}

/**
 * Tables that more than one enabled sync of a flow connects (a fan-out from one table, or a chain
 * where one sync reads what another writes). The runtime keeps its memory of records (shadows) and
 * tags its own writes per flow, so the second sync would take the first one's work for its own and
 * silently miss changes. Until that memory is kept per sync, such a flow is refused; the same syncs
 * in separate flows work.
 */
export function tablesInTwoSyncs(flow: Pick<FlowDocument, 'systems' | 'syncs'>): TableInTwoSyncs[] {
  const bySyncs = new Map<string, { system: string; entity: string; syncs: string[] }>();
  for (const sync of flow.syncs) {
    if (!sync.enabled) continue;
    for (const side of ['a', 'b'] as const) {
      const k = `${sync[side].system}\u0000${sync[side].entity}`;
      let t = bySyncs.get(k);
      if (!t) bySyncs.set(k, (t = { system: sync[side].system, entity: sync[side].entity, syncs: [] }));
      if (!t.syncs.includes(sync.id)) t.syncs.push(sync.id);
    }
  }
  const systemName = (id: string) => flow.systems.find((s) => s.id === id)?.name ?? id;
  const syncName = (id: string) => {
    const s = flow.syncs.find((x) => x.id === id);
    return `"${s?.name ?? id}"`;
  };
  return [...bySyncs.values()]
    .filter((t) => t.syncs.length > 1)
    .map((t) => ({
      ...t,
      message: `${systemName(t.system)} "${t.entity}" is connected by ${t.syncs.length} syncs of this flow (${t.syncs.map(syncName).join(', ')}): one flow cannot yet connect a table to two syncs, and the second would miss changes. Put each of them in a flow of its own.`,
    }));
}
