import type { FlowDocument } from '../../shared/flow/schema.js';

export type ConnectCheck = { ok: true } | { ok: false; reason: string };

/**
 * What may connect to what on the canvas: two different systems that both exist. Several syncs
 * between one pair are fine (one per entity pair), so a second edge is allowed; whether its entity
 * pair is new is checked when the entities are chosen.
 */
export function canConnect(flow: Pick<FlowDocument, 'systems'>, source: string | null, target: string | null): ConnectCheck {
  if (!source || !target) return { ok: false, reason: 'drag from one system to another' };
  if (source === target) return { ok: false, reason: 'a sync connects two different systems: drop the edge on another system' };
  const ids = new Set(flow.systems.map((s) => s.id));
  if (!ids.has(source)) return { ok: false, reason: `there is no system "${source}"` };
  if (!ids.has(target)) return { ok: false, reason: `there is no system "${target}"` };
  return { ok: true };
}

/** Whether an entity pair is already synced by another edge of the same two systems (in either orientation). */
export function duplicatePair(flow: Pick<FlowDocument, 'syncs'>, syncId: string): string | null {
  const me = flow.syncs.find((s) => s.id === syncId);
  if (!me || !me.a.entity || !me.b.entity) return null;
  const same = (x: { system: string; entity: string }, y: { system: string; entity: string }) => x.system === y.system && x.entity === y.entity;
  const other = flow.syncs.find((s) => s.id !== syncId && ((same(s.a, me.a) && same(s.b, me.b)) || (same(s.a, me.b) && same(s.b, me.a))));
  return other ? other.id : null;
}
