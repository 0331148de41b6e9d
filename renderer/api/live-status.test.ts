import { describe, expect, it } from 'vitest';
import type { FlowStatus, RuntimeEvent } from '../../shared/api/contract.js';
import type { ApiClient } from './api-client.js';
import { ApiCallError } from './api-call-error.js';
import { watchStatus } from './live-status.js';

function status(flowId: string, inboxPending: number): FlowStatus {
  return { flowId, running: true, startedAt: 0, error: null, inboxPending, dlqDepth: 0, systems: [], syncs: [], notices: [] };
}

/** A hand-driven clock, timer and runtime, so each step of the fallback is explicit. */
function harness() {
  let now = 1_000;
  let nextTickAt = now + 2000;
  let tick: (() => void) | null = null;
  let cleared = false;
  const listeners = new Set<(e: RuntimeEvent) => void>();
  const polls: { resolve: (v: FlowStatus[]) => void; reject: (e: unknown) => void }[] = [];
  const client: ApiClient = {
    mode: 'http',
    call: ((method: string) => {
      expect(method).toBe('status.get');
      return new Promise<FlowStatus[]>((resolve, reject) => polls.push({ resolve, reject }));
    }) as ApiClient['call'],
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const seen: number[] = [];
  const errors: unknown[] = [];
  const notices: string[] = [];
  const stop = watchStatus(client, {
    onStatus: (flows) => seen.push(flows[0]!.inboxPending),
    onError: (e) => errors.push(e),
    onNotice: (_level, message) => notices.push(message),
    intervalMs: 2000,
    now: () => now,
    setInterval: (fn) => {
      tick = fn;
      return 1;
    },
    clearInterval: () => {
      cleared = true;
    },
  });
  return {
    stop,
    seen,
    errors,
    notices,
    polls,
    listeners,
    /** Moves the clock on, firing the interval timer at each 2 s boundary it crosses. */
    advance(ms: number) {
      const until = now + ms;
      while (nextTickAt <= until) {
        now = nextTickAt;
        nextTickAt += 2000;
        tick?.();
      }
      now = until;
    },
    push(event: RuntimeEvent) {
      for (const l of listeners) l(event);
    },
    get cleared() {
      return cleared;
    },
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('watchStatus', () => {
  it('polls at once, then every interval while no push arrives', async () => {
    const h = harness();
    expect(h.polls).toHaveLength(1);
    h.polls[0]!.resolve([status('f', 1)]);
    await flush();
    h.advance(2000);
    expect(h.polls).toHaveLength(2);
    h.polls[1]!.resolve([status('f', 2)]);
    await flush();
    h.advance(2000);
    expect(h.polls).toHaveLength(3);
    expect(h.seen).toEqual([1, 2]);
    h.stop();
  });

  it('does not poll while pushes keep coming, and falls back when they stop', async () => {
    const h = harness();
    h.polls[0]!.resolve([status('f', 0)]);
    await flush();
    h.advance(1000);
    h.push({ type: 'status', flows: [status('f', 10)] });
    h.advance(1500); // tick 1 s after the push: no poll
    h.push({ type: 'status', flows: [status('f', 11)] });
    h.advance(1500); // tick 1.5 s after the push: no poll
    expect(h.polls).toHaveLength(1);
    h.advance(2000); // tick 3.5 s after the last push: poll
    expect(h.polls).toHaveLength(2);
    expect(h.seen).toEqual([0, 10, 11]);
    h.stop();
  });

  it('drops a poll answer that is older than a push received meanwhile', async () => {
    const h = harness();
    h.push({ type: 'status', flows: [status('f', 5)] });
    h.polls[0]!.resolve([status('f', 4)]);
    await flush();
    expect(h.seen).toEqual([5]);
    h.stop();
  });

  it('does not start a second poll while one is in flight', () => {
    const h = harness();
    h.advance(2000);
    h.advance(2000);
    expect(h.polls).toHaveLength(1);
    h.stop();
  });

  it('reports failed polls and keeps polling', async () => {
    const h = harness();
    const failure = new ApiCallError('unavailable', 'runtime gone');
    h.polls[0]!.reject(failure);
    await flush();
    expect(h.errors).toEqual([failure]);
    h.advance(2000);
    expect(h.polls).toHaveLength(2);
    h.stop();
  });

  it('passes notices on and stops cleanly', async () => {
    const h = harness();
    h.push({ type: 'notice', level: 'warning', message: 'keychain locked' });
    expect(h.notices).toEqual(['keychain locked']);
    h.stop();
    expect(h.cleared).toBe(true);
    expect(h.listeners.size).toBe(0);
    h.polls[0]!.resolve([status('f', 9)]);
    await flush();
    expect(h.seen).toEqual([]);
  });
});
