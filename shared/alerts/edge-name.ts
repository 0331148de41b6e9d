import type { FlowDocument } from '../flow/schema.js';

type Sync = FlowDocument['syncs'][number];

const ARROW = { 'a-to-b': '→', 'b-to-a': '←', both: '↔' } as const;

/**
 * What an alert calls an edge: its name, else its systems' names and entities ("Demo CRM contacts ↔
 * Demo Billing customers"), never the internal id an alert text once showed.
 */
export function alertEdgeName(sync: Pick<Sync, 'name' | 'direction' | 'a' | 'b'>, systems: readonly Pick<FlowDocument['systems'][number], 'id' | 'name'>[]): string {
  if (sync.name && sync.name.trim()) return sync.name.trim();
  const side = (s: Sync['a']) => {
    const system = systems.find((x) => x.id === s.system)?.name?.trim() || 'an unnamed system';
    return s.entity ? `${system} ${s.entity}` : system;
  };
  return `${side(sync.a)} ${ARROW[sync.direction]} ${side(sync.b)}`;
}
