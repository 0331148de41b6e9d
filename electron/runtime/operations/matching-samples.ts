import type { MatchingReport } from '../../../shared/api/contract.js';
import type { SyncEdge } from '../../../shared/flow/schema.js';
import type { OpenedSystem } from '../connectors/system-connections.js';
import { matchingReport } from '../engine/matching-report.js';
import type { Store } from '../store/store.js';

/** Read up to `limit` records per side (one more, to tell when there are more) and report how first sync would match them; writes nothing. */
export async function matchSamples(store: Store, flowId: string, sync: SyncEdge, systems: ReadonlyMap<string, OpenedSystem>, limit: number): Promise<MatchingReport> {
  const [a, b] = await Promise.all([
    systems.get(sync.a.system)!.connector.readSamples(sync.a.entity, limit + 1),
    systems.get(sync.b.system)!.connector.readSamples(sync.b.entity, limit + 1),
  ]);
  const truncated = a.length > limit || b.length > limit;
  return matchingReport(sync, { a: a.slice(0, limit), b: b.slice(0, limit) }, (side, key) => store.links.other(flowId, sync.id, side, key), truncated);
}
