import { createStore } from 'zustand/vanilla';
import type { AlertThresholds, ApiTransport, DirectionKey, MetricPoint } from '../../shared/api/contract.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { breaches, newBreaches, unreachableBreaches, type AlertBreach } from './edge-metrics.js';

export const ALERT_POLL_MS = 10_000;

export interface AlertWatchState {
  thresholds: Record<string, AlertThresholds>;
  active: AlertBreach[];
  /** Check now (after thresholds were saved) instead of at the next tick. */
  recheck: () => void;
}

/** What the dashboard shows; the watcher below keeps it current for the selected flow. */
export const alertStore = createStore<AlertWatchState>()(() => ({ thresholds: {}, active: [], recheck: () => {} }));

export type Notify = (b: AlertBreach) => void;

/** Raise a desktop notification (the web Notification API works in Electron's renderer and in browsers). */
export const desktopNotify: Notify = (b) => {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    new Notification('SyncCanvas alert', { body: b.message, tag: b.key });
  } catch {
    /* some browsers only allow notifications from a service worker: the in-page alert still shows */
  }
};

/**
 * Checks the flow's alert thresholds against its live status and last minute of metrics, whichever
 * view is open, and notifies each new breach once. Returns the function that stops watching.
 */
export function watchAlerts(client: ApiTransport, flow: Pick<FlowDocument, 'id' | 'syncs'>, notify: Notify = desktopNotify, now: () => number = Date.now): { check(): Promise<void>; stop(): void } {
  let notified = new Set<string>();
  let stopped = false;
  const check = async () => {
    try {
      const thresholds = await client.call('alerts.get', { flowId: flow.id });
      const watched = flow.syncs.filter((s) => thresholds[s.id]);
      const [status] = await client.call('status.get', { flowId: flow.id });
      // An unreachable system alerts on every edge it touches, thresholds or not.
      const found: AlertBreach[] = flow.syncs.flatMap((sync) => unreachableBreaches(sync.id, sync.name ?? sync.id, status?.syncs.find((s) => s.syncId === sync.id)));
      for (const sync of watched) {
        const dirs: DirectionKey[] = sync.direction === 'both' ? ['a-to-b', 'b-to-a'] : [sync.direction];
        const recent: Partial<Record<DirectionKey, MetricPoint[]>> = {};
        for (const d of dirs) recent[d] = await client.call('metrics.series', { flowId: flow.id, syncId: sync.id, direction: d, sinceMs: 60_000 });
        found.push(...breaches(sync.id, sync.name ?? sync.id, thresholds[sync.id], status?.syncs.find((s) => s.syncId === sync.id), recent, now()));
      }
      if (stopped) return;
      const next = newBreaches(notified, found);
      notified = next.active;
      next.fresh.forEach(notify);
      alertStore.setState({ thresholds, active: found });
    } catch {
      /* the runtime is unreachable: the header already says so; try again on the next tick */
    }
  };
  alertStore.setState({ recheck: () => void check() });
  void check();
  const timer = setInterval(() => void check(), ALERT_POLL_MS);
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
