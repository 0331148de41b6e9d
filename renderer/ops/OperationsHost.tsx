import { useEffect } from 'react';
import type { ApiClient } from '../api/index.js';
import { watchAlerts } from '../dashboard/alert-watch.js';
import { selectedFlowStatus } from '../state/app-store.js';
import { useApp } from '../state/store-context.js';
import { OperationsPanel } from './OperationsPanel.js';

/** The operations views for the flow selected in the editor (its current, possibly unsaved document), and its alert watcher. */
export function OperationsHost({ client }: { client: ApiClient }) {
  const flow = useApp((s) => s.flow);
  const running = useApp((s) => selectedFlowStatus(s)?.running ?? false);
  const flowId = flow?.id ?? null;
  const syncKey = flow ? JSON.stringify(flow.syncs.map((s) => [s.id, s.name, s.direction])) : '';

  useEffect(() => {
    if (!flowId) return;
    const syncs = (JSON.parse(syncKey) as [string, string | undefined, 'a-to-b' | 'b-to-a' | 'both'][]).map(([id, name, direction]) => ({ id, name, direction }));
    return watchAlerts(client, { id: flowId, syncs: syncs as never }).stop;
  }, [client, flowId, syncKey]);

  return <OperationsPanel client={client} flow={flow} running={running} />;
}
