import type { AlertThresholds, ApiTransport, DirectionKey, MetricPoint } from '../api/contract.js';
import type { FlowDocument } from '../flow/schema.js';
import { breaches, unreachableBreaches, type AlertBreach } from './breaches.js';
import { alertEdgeName } from './edge-name.js';

/**
 * Every alert a flow raises now, read through the runtime API: an unreachable system on any edge
 * (thresholds or not), and each edge's thresholds against its live status and last minute of
 * metrics. The dashboard and the desktop shell's notifier both call this.
 */
export async function checkFlowAlerts(client: ApiTransport, flow: Pick<FlowDocument, 'id' | 'syncs' | 'systems'>, now: number): Promise<{ thresholds: Record<string, AlertThresholds>; found: AlertBreach[] }> {
  const thresholds = await client.call('alerts.get', { flowId: flow.id });
  const watched = flow.syncs.filter((s) => thresholds[s.id]);
  const [status] = await client.call('status.get', { flowId: flow.id });
  const found: AlertBreach[] = flow.syncs.flatMap((sync) => unreachableBreaches(sync.id, alertEdgeName(sync, flow.systems), status?.syncs.find((s) => s.syncId === sync.id)));
  for (const sync of watched) {
    const dirs: DirectionKey[] = sync.direction === 'both' ? ['a-to-b', 'b-to-a'] : [sync.direction];
    const recent: Partial<Record<DirectionKey, MetricPoint[]>> = {};
    for (const d of dirs) recent[d] = await client.call('metrics.series', { flowId: flow.id, syncId: sync.id, direction: d, sinceMs: 60_000 });
    found.push(...breaches(sync.id, alertEdgeName(sync, flow.systems), thresholds[sync.id], status?.syncs.find((s) => s.syncId === sync.id), recent, now));
  }
  return { thresholds, found };
}
