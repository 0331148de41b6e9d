import type { Edge, Node } from '@xyflow/react';
import type { DirectionKey, EdgeHealth, FlowStatus, SyncStatus, UnreachableStatus } from '../../shared/api/contract.js';
import type { Direction, FlowDocument, SystemNode } from '../../shared/flow/schema.js';
import { directionsOf, ownersSummary, syncTitle, tierLabel } from '../format/sync-labels.js';
import { clockTime } from '../../shared/unreachable.js';

export type CaptureHealth = 'capturing' | 'starting' | 'stopped' | 'error' | 'unreachable' | 'unknown';

export type SystemNodeData = {
  name: string;
  kind: string;
  kindLabel: string;
  capture: CaptureHealth;
  captureError: string | null;
  /** Entities this system syncs (from the flow), or offers (from discovery) when it syncs none yet. */
  entities: string[];
  /** How many validation problems this system has; shown as a badge, detailed in the inspector. */
  issueCount: number;
};

export type DirectionLag = { direction: DirectionKey; lagP50: number | null };

export type SyncEdgeData = {
  title: string;
  aName: string;
  bName: string;
  direction: Direction;
  tier: 'real-time' | 'near-real-time' | 'batch';
  health: EdgeHealth;
  enabled: boolean;
  lags: DirectionLag[];
  dlqDepth: number | null;
  /** The edge's systems that cannot be reached now (the edge is paused and retries by itself). */
  unreachable: UnreachableStatus[];
  /** Perpendicular offset in px so parallel edges between the same two systems do not overlap. */
  offset: number;
  issueCount: number;
  /** Who owns the mapped fields, e.g. "CRM owns 5 · Billing owns 1"; empty before any field is mapped. */
  owners: string;
};

export type SystemFlowNode = Node<SystemNodeData, 'system'>;
export type SyncFlowEdge = Edge<SyncEdgeData, 'sync'>;

export type HandleSide = 'left' | 'right' | 'top' | 'bottom';

const PARALLEL_SPACING = 90;

/** Capture health of one system, from the flow status when there is one. */
export function captureHealth(system: SystemNode, status: FlowStatus | null): { capture: CaptureHealth; error: string | null } {
  if (!status) return { capture: 'unknown', error: null };
  const s = status.systems.find((x) => x.systemId === system.id);
  if (s?.error) return { capture: 'error', error: s.error };
  if (!status.running) return { capture: 'stopped', error: null };
  // Writes to it or its capture cannot reach it: the runtime retries by itself.
  if (s?.unreachable) return { capture: 'unreachable', error: `Unreachable since ${clockTime(s.unreachable.since)}: ${s.unreachable.message}` };
  if (s?.capturing) return { capture: 'capturing', error: null };
  return { capture: 'starting', error: null };
}

/** Which node sides an edge leaves and enters, so it takes the short way between the two boxes. */
export function handleSides(from: { x: number; y: number }, to: { x: number; y: number }): { source: HandleSide; target: HandleSide } {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (Math.abs(dx) >= Math.abs(dy)) return dx >= 0 ? { source: 'right', target: 'left' } : { source: 'left', target: 'right' };
  return dy >= 0 ? { source: 'bottom', target: 'top' } : { source: 'top', target: 'bottom' };
}

/** The edge's health; a stopped flow or a disabled edge is idle whatever the last numbers were. */
export function edgeHealth(sync: { enabled: boolean }, syncStatus: SyncStatus | undefined, status: FlowStatus | null): EdgeHealth {
  if (!syncStatus || !status || !status.running || !sync.enabled) return 'idle';
  return syncStatus.health;
}

export function buildFlowGraph(
  flow: FlowDocument,
  status: FlowStatus | null,
  options: {
    selectedSyncId?: string | null;
    kindLabels?: Record<string, string>;
    selectedSystemIds?: readonly string[];
    /** Entity names discovered per system. */
    discovered?: Record<string, string[]>;
    issueCounts?: { systems: Record<string, number>; syncs: Record<string, number> };
  } = {},
): { nodes: SystemFlowNode[]; edges: SyncFlowEdge[] } {
  const systemsById = new Map(flow.systems.map((s) => [s.id, s]));

  const synced = new Map<string, Set<string>>();
  for (const sync of flow.syncs) {
    for (const end of [sync.a, sync.b]) if (end.entity) (synced.get(end.system) ?? synced.set(end.system, new Set()).get(end.system)!).add(end.entity);
  }
  const selectedSystems = new Set(options.selectedSystemIds ?? []);

  const nodes: SystemFlowNode[] = flow.systems.map((system) => {
    const { capture, error } = captureHealth(system, status);
    const used = synced.get(system.id);
    return {
      id: system.id,
      type: 'system',
      selected: selectedSystems.has(system.id),
      position: { x: system.position.x, y: system.position.y },
      data: {
        name: system.name,
        kind: system.kind,
        kindLabel: options.kindLabels?.[system.kind] ?? system.kind,
        capture,
        captureError: error,
        entities: used ? [...used] : (options.discovered?.[system.id] ?? []),
        issueCount: options.issueCounts?.systems[system.id] ?? 0,
      },
      ariaLabel: `System ${system.name}, ${options.kindLabels?.[system.kind] ?? system.kind}, capture ${capture}`,
    };
  });

  // Parallel edges between one pair of systems fan out symmetrically around the straight line.
  const pairKey = (x: string, y: string): string => (x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`);
  const groups = new Map<string, string[]>();
  for (const sync of flow.syncs) {
    const key = pairKey(sync.a.system, sync.b.system);
    groups.set(key, [...(groups.get(key) ?? []), sync.id]);
  }

  const edges: SyncFlowEdge[] = flow.syncs.map((sync) => {
    const a = systemsById.get(sync.a.system);
    const b = systemsById.get(sync.b.system);
    const syncStatus = status?.syncs.find((s) => s.syncId === sync.id);
    const group = groups.get(pairKey(sync.a.system, sync.b.system)) ?? [sync.id];
    const index = group.indexOf(sync.id);
    // Offsets are measured against the pair's canonical order so a reversed edge fans out the same way.
    const reversed = sync.a.system > sync.b.system;
    const offset = (index - (group.length - 1) / 2) * PARALLEL_SPACING * (reversed ? -1 : 1);
    const sides = handleSides(a?.position ?? { x: 0, y: 0 }, b?.position ?? { x: 0, y: 0 });
    const lags = directionsOf(sync.direction).map((direction) => ({
      direction,
      lagP50: syncStatus?.directions.find((d) => d.direction === direction)?.lagMs.p50 ?? null,
    }));
    const dlqDepth = syncStatus ? syncStatus.directions.reduce((sum, d) => sum + d.dlqDepth, 0) : null;
    const title = syncTitle(sync);
    const health = edgeHealth(sync, syncStatus, status);
    return {
      id: sync.id,
      type: 'sync',
      source: sync.a.system,
      target: sync.b.system,
      sourceHandle: `out-${sides.source}`,
      targetHandle: `in-${sides.target}`,
      selected: options.selectedSyncId === sync.id,
      ariaLabel: `Sync ${title} between ${a?.name ?? sync.a.system} and ${b?.name ?? sync.b.system}, ${health}`,
      data: {
        title,
        aName: a?.name ?? sync.a.system,
        bName: b?.name ?? sync.b.system,
        direction: sync.direction,
        tier: tierLabel(sync.latency),
        health,
        enabled: sync.enabled,
        lags,
        dlqDepth,
        unreachable: health === 'unreachable' ? (syncStatus?.unreachable ?? []) : [],
        offset,
        issueCount: options.issueCounts?.syncs[sync.id] ?? 0,
        owners: ownersSummary(sync.fields, a?.name ?? sync.a.system, b?.name ?? sync.b.system),
      },
    };
  });

  return { nodes, edges };
}
