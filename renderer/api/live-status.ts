import type { FlowStatus } from '../../shared/api/contract.js';
import type { ApiClient } from './api-client.js';

export interface LiveStatusOptions {
  onStatus(flows: FlowStatus[]): void;
  onNotice?(level: 'info' | 'warning' | 'error', message: string): void;
  /** Reports a failed poll; a later success or push clears nothing by itself, the caller decides. */
  onError?(error: unknown): void;
  /** How long without a push before polling `status.get`, and the polling period. */
  intervalMs?: number;
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/**
 * Keeps flow status current: the runtime pushes 'status' events; when none has arrived for
 * `intervalMs` (no event stream, a dropped connection, a quiet runtime) it polls `status.get`
 * every `intervalMs` until pushes resume. Returns the function that stops watching.
 */
export function watchStatus(client: ApiClient, options: LiveStatusOptions): () => void {
  const intervalMs = options.intervalMs ?? 2000;
  const now = options.now ?? Date.now;
  const setTimer = options.setInterval ?? ((fn, ms) => globalThis.setInterval(fn, ms));
  const clearTimer = options.clearInterval ?? ((h) => globalThis.clearInterval(h as ReturnType<typeof globalThis.setInterval>));

  let stopped = false;
  let lastPushAt = Number.NEGATIVE_INFINITY;
  let polling = false;

  const unsubscribe = client.onEvent((event) => {
    if (stopped) return;
    if (event.type === 'status') {
      lastPushAt = now();
      options.onStatus(event.flows);
    } else {
      options.onNotice?.(event.level, event.message);
    }
  });

  async function poll(): Promise<void> {
    if (polling || stopped) return;
    polling = true;
    const startedAt = now();
    try {
      const flows = await client.call('status.get', {});
      // A push that arrived while the poll was in flight is newer: keep it.
      if (!stopped && lastPushAt < startedAt) options.onStatus(flows);
    } catch (error) {
      if (!stopped) options.onError?.(error);
    } finally {
      polling = false;
    }
  }

  void poll();
  const timer = setTimer(() => {
    if (now() - lastPushAt >= intervalMs) void poll();
  }, intervalMs);

  return () => {
    stopped = true;
    clearTimer(timer);
    unsubscribe();
  };
}
