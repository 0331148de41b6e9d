import { Notification } from 'electron';
import { newBreaches, type AlertBreach } from '../../shared/alerts/breaches.js';
import { checkFlowAlerts } from '../../shared/alerts/check-flow-alerts.js';
import type { ApiTransport } from '../../shared/api/contract.js';

export const ALERT_CHECK_MS = 10_000;

/**
 * OS notifications for alerts whether or not a window is open: the same rules as the dashboard
 * (shared/alerts), checked on every running flow. Each breach notifies once while it lasts.
 */
export function watchAlertsInBackground(client: ApiTransport, opts: { everyMs?: number; now?: () => number; notify?: (title: string, body: string) => void } = {}): { check(): Promise<void>; stop(): void } {
  const notify = opts.notify ?? ((title: string, body: string) => new Notification({ title, body }).show());
  const now = opts.now ?? Date.now;
  let notified = new Set<string>();
  let inFlight: Promise<void> | null = null;
  const run = async (): Promise<void> => {
    try {
      const flows = (await client.call('flows.list', {})).filter((f) => f.running);
      const found: (AlertBreach & { flowName: string })[] = [];
      for (const f of flows) {
        const { flow } = await client.call('flows.get', { flowId: f.id });
        found.push(...(await checkFlowAlerts(client, flow, now())).found.map((b) => ({ ...b, key: `${f.id}:${b.key}`, flowName: flow.name })));
      }
      const next = newBreaches(notified, found);
      notified = next.active;
      for (const b of next.fresh) notify(`SyncCanvas — ${b.flowName}`, b.message);
    } catch {
      /* the runtime is restarting: the next check catches up */
    }
  };
  // One check at a time; a caller asking meanwhile waits for the one under way.
  const check = (): Promise<void> => (inFlight ??= run().finally(() => (inFlight = null)));
  const timer = setInterval(() => void check(), opts.everyMs ?? ALERT_CHECK_MS);
  timer.unref?.();
  void check();
  return { check, stop: () => clearInterval(timer) };
}
