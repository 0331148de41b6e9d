import { useEffect } from 'react';
import type { FlowDocument } from '../../shared/flow/schema.js';
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
  // What alerts read of the flow (edges and the names they are called by), as a value: the watcher restarts only when that changes.
  const alertKey = flow ? JSON.stringify({ syncs: flow.syncs.map((s) => ({ id: s.id, name: s.name, direction: s.direction, a: s.a, b: s.b })), systems: flow.systems.map((s) => ({ id: s.id, name: s.name })) }) : '';

  useEffect(() => {
    if (!flowId) return;
    const { syncs, systems } = JSON.parse(alertKey) as Pick<FlowDocument, 'syncs' | 'systems'>;
    return watchAlerts(client, { id: flowId, syncs, systems }).stop;
  }, [client, flowId, alertKey]);

  return <OperationsPanel client={client} flow={flow} running={running} />;
}
