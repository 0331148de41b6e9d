import type { FlowStatus } from '../../shared/api/contract.js';

export type TrayState = 'syncing' | 'paused' | 'attention' | 'idle';

/**
 * The one word the tray shows for everything the runtime does. "Needs attention" wins: a flow that
 * stopped with an error, a system that cannot be reached, or changes waiting in the DLQ.
 */
export function trayState(flows: readonly FlowStatus[], pausedByUser: boolean): TrayState {
  const attention = flows.some((f) => f.error !== null || f.dlqDepth > 0 || f.syncs.some((s) => s.health === 'failing' || s.health === 'unreachable'));
  if (attention) return 'attention';
  if (pausedByUser) return 'paused';
  return flows.some((f) => f.running) ? 'syncing' : 'idle';
}

export const TRAY_LABEL: Record<TrayState, string> = {
  syncing: 'Syncing',
  paused: 'Paused',
  attention: 'Needs attention',
  idle: 'Idle (no flow running)',
};
