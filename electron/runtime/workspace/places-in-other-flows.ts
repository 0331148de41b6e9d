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
  reads: boolean;
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
      const reads = sync.direction === 'both' || sync.direction === (side === 'a' ? 'a-to-b' : 'b-to-a');
      out.push({ syncId: sync.id, systemName: system.name, entity: sync[side].entity, place, at: entityAt(system, sync[side].entity), writes, reads });
    }
  }
  return out;
}

/**
 * Tables (streams, folders) this flow's syncs share with other flows of the workspace unsafely. The
 * runtime keeps its memory of records, its echo tags and field owners per flow, so one flow's writes
 * are a person's changes to the other. That is unsafe when
 * - both flows write into the table: neither flow's owners decide, and they overwrite each other; or
 * - the changes can go round: this flow writes a table the other reads, and the other writes a table
 *   this flow reads.
 * One flow writing a table another only reads is a chain (CRM → Billing, then Billing → Support) and
 * fine, and so are flows that only read one table: each Postgres flow has its own replication slot,
 * and the readers of one SQLite file's change log each keep their own position and snapshot
 * (connectors/sqlite/change-log.ts).
 */
export function placesInOtherFlows(
  flow: Pick<FlowDocument, 'id' | 'systems' | 'syncs'>,
  others: ReadonlyArray<Pick<FlowDocument, 'id' | 'name' | 'systems' | 'syncs'>>,
  dataDir: string,
  home?: string,
): PlaceInOtherFlow[] {
  const mine = usesOf(flow, dataDir, home);
  const found = new Map<string, PlaceInOtherFlow>();
  const same = (p: Use, q: Use) => p.place === q.place && p.at === q.at;
  for (const other of others) {
    if (other.id === flow.id) continue;
    const theirs = usesOf(other, dataDir, home);
    const weFeedThem = mine.some((m) => m.writes && theirs.some((t) => t.reads && same(m, t)));
    const theyFeedUs = theirs.some((t) => t.writes && mine.some((m) => m.reads && same(m, t)));
    for (const m of mine) {
      const shared = theirs.filter((t) => same(m, t));
      const bothWrite = m.writes && shared.some((t) => t.writes);
      const round = weFeedThem && theyFeedUs && ((m.writes && shared.some((t) => t.reads)) || (m.reads && shared.some((t) => t.writes)));
      if (!bothWrite && !round) continue;
      const key = `${m.syncId}\u0000${other.id}\u0000${m.place}\u0000${m.at}`;
      if (found.has(key)) continue;
      const what = bothWrite
        ? `${m.systemName} "${m.entity}" is also written by the flow "${other.name}". Each flow would take the other's writes for a person's changes, and neither flow's owners would decide: the two could overwrite each other.`
        : `${m.systemName} "${m.entity}" is also synced by the flow "${other.name}", and each of the two flows writes into a table the other reads: changes could go round between them.`;
      const message = `${what} Sync this table in one flow only: delete one of the two flows, or point this sync at another table.`;
      found.set(key, { syncId: m.syncId, otherFlowId: other.id, message });
    }
  }
  return [...found.values()];
}
