import { selectedFlowStatus } from '../state/app-store.js';
import { useApp } from '../state/store-context.js';
import { formatCount } from '../format/format-stats.js';
import { BrandMark } from './BrandMark.js';
import { flowStateView } from '../status/flow-state.js';

export function AppHeader() {
  const workspace = useApp((s) => s.workspace);
  const flows = useApp((s) => s.flows);
  const selectedFlowId = useApp((s) => s.selectedFlowId);
  const selectFlow = useApp((s) => s.selectFlow);
  const status = useApp(selectedFlowStatus);
  const pendingAction = useApp((s) => s.pendingAction);
  const startFlow = useApp((s) => s.startFlow);
  const stopFlow = useApp((s) => s.stopFlow);
  const keychainDetailOpen = useApp((s) => s.keychainDetailOpen);
  const toggleKeychainDetail = useApp((s) => s.toggleKeychainDetail);
  const summary = flows.find((f) => f.id === selectedFlowId);
  const newFlow = useApp((s) => s.newFlow);
  const draftName = useApp((s) => s.flow?.name);
  const running = status?.running ?? summary?.running ?? false;
  const state = flowStateView(status, summary?.running ?? false);

  return (
    <header className="app-header">
      <div className="app-header__brand">
        <BrandMark />
        <h1 className="app-header__name">SyncCanvas</h1>
      </div>

      {workspace && (
        <div className="app-header__workspace" title={workspace.path}>
          <span className="visually-hidden">Workspace</span>
          <span className="app-header__workspace-name" data-testid="workspace-name">
            {workspace.name}
          </span>
          {workspace.demo && <span className="pill pill--neutral">Demo</span>}
        </div>
      )}

      {workspace && !workspace.keychain.available && (
        <button
          type="button"
          className="keychain-warning"
          aria-expanded={keychainDetailOpen}
          aria-controls="keychain-detail"
          onClick={toggleKeychainDetail}
          title={workspace.keychain.message}
          data-testid="keychain-warning"
        >
          <span aria-hidden="true" className="keychain-warning__icon">
            !
          </span>
          <span className="keychain-warning__text">Keychain unavailable</span>
        </button>
      )}

      <div className="app-header__spacer" />

      {workspace && (
        <div className="flow-controls">
          <label className="visually-hidden" htmlFor="flow-select">
            Flow
          </label>
          <select id="flow-select" className="select" value={selectedFlowId ?? ''} onChange={(e) => void selectFlow(e.target.value)}>
            {selectedFlowId && !summary && <option value={selectedFlowId}>{draftName} (not saved)</option>}
            {flows.map((f) => (
              <option key={f.id} value={f.id} title={f.problem}>
                {f.problem ? `${f.name} (${f.problem.includes("newer SyncCanvas") ? "needs a newer SyncCanvas" : "cannot be opened"})` : f.name}
              </option>
            ))}
          </select>
          <button type="button" className="button button--secondary" onClick={() => newFlow()} aria-label="New flow" title="Start a new flow on an empty canvas">
            + New
          </button>

          <span className={`pill pill--${state.tone}`} data-testid="flow-state">
            <span className="pill__dot" aria-hidden="true" />
            {state.label}
          </span>
          {status && (
            <span className="flow-controls__counts" title="Events waiting in the durable inbox, and dead-lettered events in this flow">
              Inbox {formatCount(status.inboxPending)} · DLQ {formatCount(status.dlqDepth)}
            </span>
          )}

          <button
            type="button"
            className={`button ${running ? 'button--secondary' : 'button--primary'}`}
            disabled={!selectedFlowId || pendingAction !== null}
            onClick={() => void (running ? stopFlow() : startFlow())}
          >
            {pendingAction === 'start' ? 'Starting…' : pendingAction === 'stop' ? 'Stopping…' : running ? 'Stop flow' : 'Start flow'}
          </button>
        </div>
      )}
    </header>
  );
}
