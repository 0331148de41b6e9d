import type { DirectionStats, EdgeHealth, FlowStatus, SyncStatus, SystemStatus, UnreachableStatus } from '../../../shared/api/contract.js';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import type { LiveFlowState } from '../engine/live-state.js';
import { MetricsRecorder } from '../engine/metrics-recorder.js';
import { tombstoneTtlMs } from '../engine/routes.js';
import { directionsOf } from '../engine/sides.js';
import type { Store } from '../store/store.js';

/** A stopped flow has measured nothing in the last minute. */
const NOTHING_MEASURED = new MetricsRecorder();

/**
 * A flow's status: counters, pending and DLQ depth from the store, and, when the flow runs, what
 * its engine knows (captures, outages, live lag, notices). The same answer for the app, the HTTP
 * API and the CLI, whether the flow runs or not.
 */
export function flowStatus(store: Store, flow: FlowDocument, live: LiveFlowState | null, now = live?.now ?? Date.now()): FlowStatus {
  const running = live?.running ?? false;
  const metrics = live?.metrics ?? NOTHING_MEASURED;
  const unreachableOf = (systemId: string): UnreachableStatus | null => {
    const o = live?.outage(systemId);
    if (!o) return null;
    return { systemId, name: flow.systems.find((s) => s.id === systemId)?.name ?? systemId, since: o.since, retryAt: Math.max(o.retryAt, now), message: o.message };
  };
  const systems: SystemStatus[] = flow.systems.map((s) => ({
    systemId: s.id,
    capturing: live?.capturing(s.id) ?? false,
    error: live?.systemError(s.id) ?? null,
    detail: live?.systemDetail(s.id) ?? {},
    unreachable: unreachableOf(s.id),
  }));
  const unknown = store.unknownFields.list(flow.id);
  const syncs: SyncStatus[] = flow.syncs.map((sync) => {
    const directions: DirectionStats[] = directionsOf(sync).map((direction) => {
      const c = store.counters.get(flow.id, sync.id, direction);
      const lag = metrics.live(sync.id, direction, now);
      return {
        direction,
        lagMs: lag.lag,
        eventsPerSec: lag.eventsPerSec,
        applied: c.applied,
        errors: c.errors,
        conflicts: c.conflicts,
        echoesSuppressed: c.echoes,
        ownershipViolations: c.violations,
        tombstones: c.tombstones,
        pending: store.inbox.pendingFor(flow.id, sync.id, direction),
        dlqDepth: store.dlq.depth(flow.id, sync.id, direction),
        lastAppliedAt: c.lastAppliedAt,
      };
    });
    const unreachable = [sync.a.system, sync.b.system]
      .filter((id, i, all) => all.indexOf(id) === i)
      .map(unreachableOf)
      .filter((u): u is UnreachableStatus => u !== null);
    const recent = directionsOf(sync).map((d) => metrics.recent(sync.id, d, now));
    return {
      syncId: sync.id,
      health: unreachable.length > 0 && running ? 'unreachable' : edgeHealth(directions, running, recent),
      unreachable,
      // A stopped flow has no connectors to ask for their polling interval: the sync's own applies.
      tombstoneTtlMs: live?.tombstoneTtl(sync.id) ?? tombstoneTtlMs(sync.pollIntervalMs),
      directions,
      unknownFields: unknown
        .filter((u) => (u.system === sync.a.system && u.entity === sync.a.entity) || (u.system === sync.b.system && u.entity === sync.b.entity))
        .map((u) => ({ system: u.system, field: u.field, firstSeen: u.firstSeen, count: u.count })),
    };
  });
  return {
    flowId: flow.id,
    running,
    startedAt: live?.startedAt ?? null,
    error: live ? (live.fatal ?? live.firstSystemError()) : null,
    inboxPending: store.inbox.pending(flow.id),
    dlqDepth: store.dlq.depthOfFlow(flow.id),
    systems,
    syncs,
    notices: live ? [...live.notices] : [],
  };
}

/**
 * Failing: changes failed in the last minute and none got through. Records parked in the DLQ while
 * everything else syncs do not make an edge failing (the DLQ count says they wait): the edge works.
 * Lagging: p95 over 10 s or a backlog.
 */
export function edgeHealth(directions: DirectionStats[], running: boolean, recent: readonly { errors: number; events: number }[] = []): EdgeHealth {
  if (!running) return 'idle';
  if (recent.some((r) => r.errors > 0 && r.events === 0)) return 'failing';
  if (directions.some((d) => (d.lagMs.p95 ?? 0) > 10_000 || d.pending > 5_000)) return 'lagging';
  if (directions.every((d) => d.applied === 0 && d.pending === 0)) return 'idle';
  return 'healthy';
}
