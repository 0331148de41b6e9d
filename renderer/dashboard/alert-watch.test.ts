import { afterEach, describe, expect, it } from 'vitest';
import type { ApiInput, ApiMethod, ApiOutputs, ApiTransport, FlowStatus } from '../../shared/api/contract.js';
import { alertStore, watchAlerts } from './alert-watch.js';
import type { AlertBreach } from './edge-metrics.js';

function runtime(lagP99: number, thresholds: Record<string, unknown> = { s: { lagP99Ms: 500 } }) {
  const state: { lagP99: number; unreachable: NonNullable<FlowStatus['syncs'][number]['unreachable']> } = { lagP99, unreachable: [] };
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
      syncs: [{ syncId: 's', health: state.unreachable.length ? 'unreachable' : 'healthy', unreachable: state.unreachable, tombstoneTtlMs: 0, unknownFields: [], directions: [{ direction: 'a-to-b', lagMs: { p50: 1, p95: 1, p99: state.lagP99 }, eventsPerSec: 1, applied: 1, errors: 0, conflicts: 0, echoesSuppressed: 0, ownershipViolations: 0, tombstones: 0, pending: 0, dlqDepth: 0, lastAppliedAt: 0 }] }],
    },
  ];
  const client: ApiTransport = {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]> {
      void input;
      if (method === 'alerts.get') return thresholds as ApiOutputs[M];
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

  it('names an unnamed edge by its systems and entities, not by its id', async () => {
    const rt = runtime(900);
    const sent: AlertBreach[] = [];
    const flow = {
      id: 'f',
      systems: [
        { id: 'sqlite-database', name: 'CRM' },
        { id: 'sqlite-database-2', name: 'Billing' },
      ],
      syncs: [{ id: 's', direction: 'a-to-b', a: { system: 'sqlite-database', entity: 'contacts' }, b: { system: 'sqlite-database-2', entity: 'customers' } }],
    };
    const w = watchAlerts(rt.client, flow as never, (b) => sent.push(b));
    stop = w.stop;
    await w.check();
    expect(sent.map((b) => b.message)).toEqual(['CRM contacts → Billing customers: lag p99 is 900 ms (alert above 500 ms)']);
  });

  it('alerts once on an unreachable system, with no thresholds set, and again on the next outage', async () => {
    const rt = runtime(100, {});
    const sent: AlertBreach[] = [];
    const w = watchAlerts(rt.client, { id: 'f', syncs: [{ id: 's', name: 'Edge', direction: 'a-to-b' }] as never }, (b) => sent.push(b));
    stop = w.stop;
    await w.check();
    expect(sent).toEqual([]);
    const since = new Date(2026, 11, 7, 12, 1).getTime();
    rt.state.unreachable = [{ systemId: 'billing', name: 'Demo Billing', since, retryAt: since + 20_000, message: 'connect ECONNREFUSED 127.0.0.1:5432' }];
    await w.check();
    await w.check();
    expect(sent.map((b) => b.key)).toEqual(['s:unreachable:billing']);
    expect(sent[0]!.message).toBe('Edge: Demo Billing unreachable since 12:01; changes wait and apply by themselves once it answers (connect ECONNREFUSED 127.0.0.1:5432)');
    expect(alertStore.getState().active.map((b) => b.key)).toEqual(['s:unreachable:billing']);
    rt.state.unreachable = [];
    await w.check();
    expect(alertStore.getState().active).toEqual([]);
    rt.state.unreachable = [{ systemId: 'billing', name: 'Demo Billing', since: since + 60_000, retryAt: since + 61_000, message: 'x' }];
    await w.check();
    expect(sent).toHaveLength(2);
  });
});
