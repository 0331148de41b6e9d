import { describe, expect, it } from 'vitest';
import type { FlowStatus, SyncStatus } from '../../shared/api/contract.js';
import { trayState } from './tray-state.js';

const flow = (p: Partial<FlowStatus> = {}, health: SyncStatus['health'] = 'healthy'): FlowStatus => ({
  flowId: 'f',
  running: true,
  startedAt: 1,
  error: null,
  inboxPending: 0,
  dlqDepth: 0,
  systems: [],
  syncs: [{ syncId: 's', health, tombstoneTtlMs: 1, directions: [], unknownFields: [] }],
  notices: [],
  ...p,
});

describe('tray state', () => {
  it('syncing, idle, paused, and needs attention (which wins)', () => {
    expect(trayState([flow()], false)).toBe('syncing');
    expect(trayState([flow({ running: false })], false)).toBe('idle');
    expect(trayState([], false)).toBe('idle');
    expect(trayState([flow({ running: false })], true)).toBe('paused');
    expect(trayState([flow({ dlqDepth: 2 })], false)).toBe('attention');
    expect(trayState([flow({}, 'unreachable')], true)).toBe('attention');
    expect(trayState([flow({ error: 'boom' })], false)).toBe('attention');
  });
});
