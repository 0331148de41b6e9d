import { afterEach, describe, expect, it } from 'vitest';
import type { ApiInput, ApiMethod, ApiOutputs, ApiTransport, FlowStatus } from '../../shared/api/contract.js';
import { alertStore, watchAlerts } from './alert-watch.js';
import type { AlertBreach } from './edge-metrics.js';

function runtime(lagP99: number) {
  const state = { lagP99 };
  const status = (): FlowStatus[] => [
    {
      flowId: 'f',
      running: true,
      startedAt: 0,
      error: null,
      inboxPending: 0,
      dlqDepth: 0,
      systems: [],
      notices: [],
      syncs: [{ syncId: 's', health: 'healthy', tombstoneTtlMs: 0, unknownFields: [], directions: [{ direction: 'a-to-b', lagMs: { p50: 1, p95: 1, p99: state.lagP99 }, eventsPerSec: 1, applied: 1, errors: 0, conflicts: 0, echoesSuppressed: 0, ownershipViolations: 0, tombstones: 0, pending: 0, dlqDepth: 0, lastAppliedAt: 0 }] }],
    },
  ];
  const client: ApiTransport = {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]> {
      void input;
      if (method === 'alerts.get') return { s: { lagP99Ms: 500 } } as ApiOutputs[M];
      if (method === 'status.get') return status() as ApiOutputs[M];
      if (method === 'metrics.series') return [] as ApiOutputs[M];
      throw new Error(method);
    },
  };
  return { client, state };
}

let stop: (() => void) | null = null;
afterEach(() => stop?.());

describe('watchAlerts', () => {
  it('notifies a crossed threshold once, and again after it cleared', async () => {
    const rt = runtime(900);
    const sent: AlertBreach[] = [];
    const w = watchAlerts(rt.client, { id: 'f', syncs: [{ id: 's', name: 'Edge', direction: 'a-to-b' }] as never }, (b) => sent.push(b));
    stop = w.stop;
    await w.check();
    await w.check();
    expect(sent.map((b) => b.key)).toEqual(['s:lag']);
    expect(alertStore.getState().active[0]!.message).toContain('lag p99 is 900 ms');
    rt.state.lagP99 = 100;
    await w.check();
    expect(alertStore.getState().active).toEqual([]);
    rt.state.lagP99 = 700;
    await w.check();
    expect(sent).toHaveLength(2);
  });
});
