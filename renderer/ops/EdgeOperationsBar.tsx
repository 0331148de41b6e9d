import { openOperations, type OpsTab } from './ops-store.js';

const ACTIONS: { tab: OpsTab; label: string; title: string }[] = [
  { tab: 'preview', label: 'Preview', title: 'See what this sync would write, record by record, with nothing written' },
  { tab: 'preflight', label: 'Preflight & go live', title: 'The go-live checklist of this flow' },
  { tab: 'dlq', label: 'DLQ', title: 'Failed changes of this edge: inspect, fix, replay' },
  { tab: 'dashboard', label: 'Dashboard', title: 'Lag, throughput, errors and alerts of this edge over time' },
];

/** Entry points into the operations views for one edge (in the side panel). */
export function EdgeOperationsBar({ syncId }: { syncId: string }) {
  return (
    <div className="edge-ops" role="group" aria-label="Operations for this sync">
      {ACTIONS.map((a) => (
        <button key={a.tab} type="button" className="button button--secondary edge-ops__button" title={a.title} onClick={() => openOperations(a.tab, { syncId })}>
          {a.label}
        </button>
      ))}
    </div>
  );
}
