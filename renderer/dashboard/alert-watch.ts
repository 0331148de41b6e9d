import { createStore } from 'zustand/vanilla';
import type { AlertThresholds, ApiTransport } from '../../shared/api/contract.js';
import { checkFlowAlerts } from '../../shared/alerts/check-flow-alerts.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { newBreaches, type AlertBreach } from '../../shared/alerts/breaches.js';

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
  // In the desktop app the shell notifies, window open or not (electron/main/alert-notifier.ts): not twice.
  if ('synccanvas' in globalThis) return;
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
export function watchAlerts(client: ApiTransport, flow: Pick<FlowDocument, 'id' | 'syncs' | 'systems'>, notify: Notify = desktopNotify, now: () => number = Date.now): { check(): Promise<void>; stop(): void } {
  let notified = new Set<string>();
  let stopped = false;
  const check = async () => {
    try {
      const { thresholds, found } = await checkFlowAlerts(client, flow, now());
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
