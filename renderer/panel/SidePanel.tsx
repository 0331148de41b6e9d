import { SyncInspector } from '../inspector/SyncInspector.js';
import { SystemInspector } from '../inspector/SystemInspector.js';
import { useApp } from '../state/store-context.js';
import { SyncPanel } from './SyncPanel.js';

/** The right-hand panel: the selected system's settings, or the selected sync's live stats and settings. */
export function SidePanel() {
  const flow = useApp((s) => s.flow);
  const selectedSystemId = useApp((s) => s.selectedSystemId);
  const selectedSyncId = useApp((s) => s.selectedSyncId);
  const tab = useApp((s) => s.panelTab);
  const setTab = useApp((s) => s.setPanelTab);

  if (!flow) return <aside className="side-panel" aria-label="Details" />;
  const system = flow.systems.find((s) => s.id === selectedSystemId);
  if (system) {
    return (
      <aside className="side-panel" aria-label={`System ${system.name}`}>
        <SystemInspector key={system.id} system={system} />
      </aside>
    );
  }
  const sync = flow.syncs.find((s) => s.id === selectedSyncId) ?? flow.syncs[0];
  if (!sync) {
    return (
      <aside className="side-panel" aria-label="Details">
        <div className="side-panel__empty">
          <h2 className="side-panel__title">{flow.systems.length === 0 ? 'Start with a system' : 'Connect two systems'}</h2>
          <ol className="getting-started">
            <li className={flow.systems.length > 0 ? 'done' : undefined}>Drag a system from the palette onto the canvas and fill in its connection.</li>
            <li className={flow.systems.length > 1 ? 'done' : undefined}>Add the second system.</li>
            <li>Drag from the handle on one system&rsquo;s edge to the other system to add a sync.</li>
            <li>Choose the entities, direction and field owners, then save and start the flow.</li>
          </ol>
        </div>
      </aside>
    );
  }
  return (
    <aside className="side-panel" aria-label="Sync">
      <div className="tabs" role="tablist" aria-label="Sync panel">
        {(['live', 'settings'] as const).map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`tabpanel-${t}`} className={`tabs__tab${tab === t ? ' tabs__tab--on' : ''}`} onClick={() => setTab(t)}>
            {t === 'live' ? 'Live' : 'Settings'}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`} className="side-panel__body">
        {tab === 'live' ? <SyncPanel /> : <SyncInspector key={sync.id} sync={sync} />}
      </div>
    </aside>
  );
}
