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
  // Only a flow the workspace has (saved) has thresholds: a draft would only earn "not found" answers.
  const flowId = useApp((s) => (s.flow && s.flows.some((f) => f.id === s.flow!.id) ? s.flow.id : null));
  const syncKey = flow ? JSON.stringify(flow.syncs.map((s) => [s.id, s.name, s.direction])) : '';

  useEffect(() => {
    if (!flowId) return;
    const syncs = (JSON.parse(syncKey) as [string, string | undefined, 'a-to-b' | 'b-to-a' | 'both'][]).map(([id, name, direction]) => ({ id, name, direction }));
    return watchAlerts(client, { id: flowId, syncs: syncs as never }).stop;
  }, [client, flowId, syncKey]);

  return <OperationsPanel client={client} flow={flow} running={running} />;
}
