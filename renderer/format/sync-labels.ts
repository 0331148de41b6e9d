import type { DirectionKey, EdgeHealth } from '../../shared/api/contract.js';
import type { Direction, Latency, SyncEdge } from '../../shared/flow/schema.js';

/** The arrow drawn for an edge's direction, read from side a to side b. */
export function directionArrow(direction: Direction): '→' | '←' | '↔' {
  if (direction === 'a-to-b') return '→';
  if (direction === 'b-to-a') return '←';
  return '↔';
}

/** The arrow for one running direction of an edge. */
export function directionKeyArrow(direction: DirectionKey): '→' | '←' {
  return direction === 'a-to-b' ? '→' : '←';
}

export function directionLabel(direction: Direction): string {
  return direction === 'both' ? 'Two-way' : 'One-way';
}

/** The directions an edge runs, in a stable order. */
export function directionsOf(direction: Direction): DirectionKey[] {
  if (direction === 'both') return ['a-to-b', 'b-to-a'];
  return [direction];
}

export function tierLabel(latency: Latency): 'real-time' | 'near-real-time' | 'batch' {
  return latency.tier;
}

/** The tier with its parameter, for the side panel. */
export function tierDetail(latency: Latency): string {
  if (latency.tier === 'real-time') return 'real-time (within seconds)';
  if (latency.tier === 'near-real-time') return `near-real-time (every ${formatWindow(latency.windowMs)})`;
  return `batch (${latency.cron})`;
}

function formatWindow(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  return `${+(ms / 60_000).toFixed(1)} min`;
}

export const HEALTH_LABEL: Record<EdgeHealth, string> = {
  idle: 'Idle',
  healthy: 'Healthy',
  lagging: 'Lagging',
  failing: 'Failing',
  unreachable: 'Unreachable',
};

/** A readable name for an edge: its own name, or its entity pair. */
export function syncTitle(sync: Pick<SyncEdge, 'name' | 'a' | 'b' | 'direction'>): string {
  if (sync.name && sync.name.trim().length > 0) return sync.name;
  if (!sync.a.entity || !sync.b.entity) return 'New sync';
  return `${sync.a.entity} ${directionArrow(sync.direction)} ${sync.b.entity}`;
}

/**
 * Who owns the mapped fields, in words for the edge label: "CRM owns 5 · Billing owns 1 · 2 shared".
 * Empty when no field is mapped yet.
 */
export function ownersSummary(fields: readonly { owner: 'a' | 'b' | 'shared' }[], aName: string, bName: string): string {
  const count = (o: 'a' | 'b' | 'shared') => fields.filter((f) => f.owner === o).length;
  const parts: string[] = [];
  if (count('a') > 0) parts.push(`${aName} owns ${count('a')}`);
  if (count('b') > 0) parts.push(`${bName} owns ${count('b')}`);
  if (count('shared') > 0) parts.push(`${count('shared')} shared`);
  return parts.join(' · ');
}
