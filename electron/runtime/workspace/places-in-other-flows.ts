import type { FlowDocument } from '../../../shared/flow/schema.js';
import { entityAt, systemPlace } from './system-place.js';

export interface PlaceInOtherFlow {
  /** Sync of this flow that uses the place. */
  syncId: string;
  otherFlowId: string;
  /** Plain words, for preflight and for the refusal to start. */
  message: string;
}

interface Use {
  syncId: string;
  systemName: string;
  entity: string;
  place: string;
  /** The entity as its place names it. */
  at: string;
  writes: boolean;
}

function usesOf(flow: Pick<FlowDocument, 'systems' | 'syncs'>, dataDir: string, home?: string): Use[] {
  const out: Use[] = [];
  for (const sync of flow.syncs) {
    if (!sync.enabled) continue;
    for (const side of ['a', 'b'] as const) {
      const system = flow.systems.find((s) => s.id === sync[side].system);
      if (!system) continue;
      const place = systemPlace(system, dataDir, home);
      const writes = sync.direction === 'both' || sync.direction === (side === 'b' ? 'a-to-b' : 'b-to-a');
      out.push({ syncId: sync.id, systemName: system.name, entity: sync[side].entity, place, at: entityAt(system, sync[side].entity), writes });
    }
  }
  return out;
}

/**
 * Tables (streams, folders) this flow's syncs share with other flows of the workspace unsafely: when
 * either flow writes into the table. The runtime keeps its memory of records, its echo tags and
 * field ownership per flow, so one flow's writes are a person's changes to the other, which syncs
 * them on; changes can bounce between the flows, and neither owner's rule holds. Flows that only
 * read one table are fine: each Postgres flow has its own replication slot, and the readers of one
 * SQLite file's change log each keep their own position and snapshot (connectors/sqlite/change-log.ts).
 */
export function placesInOtherFlows(
  flow: Pick<FlowDocument, 'id' | 'systems' | 'syncs'>,
  others: ReadonlyArray<Pick<FlowDocument, 'id' | 'name' | 'systems' | 'syncs'>>,
  dataDir: string,
  home?: string,
): PlaceInOtherFlow[] {
  const mine = usesOf(flow, dataDir, home);
  const found = new Map<string, PlaceInOtherFlow>();
  for (const other of others) {
    if (other.id === flow.id) continue;
    const theirs = usesOf(other, dataDir, home);
    for (const m of mine) {
      const clash = theirs.filter((t) => t.place === m.place && t.at === m.at && (m.writes || t.writes));
      if (clash.length === 0) continue;
      const key = `${m.syncId}\u0000${other.id}\u0000${m.place}\u0000${m.at}`;
      if (found.has(key)) continue;
      const writer = m.writes ? 'this flow writes into it' : `"${other.name}" writes into it`;
      const message = `${m.systemName} "${m.entity}" is also synced by the flow "${other.name}", and ${writer}. Each flow would take the other's writes for a person's changes and sync them on, so the two could overwrite each other. Sync this table in one flow only: delete one of the two flows, or point this sync at another table.`;
      found.set(key, { syncId: m.syncId, otherFlowId: other.id, message });
    }
  }
  return [...found.values()];
}
