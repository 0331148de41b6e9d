import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { watchStatus, type ApiClient } from './api/index.js';
import { FlowCanvas } from './canvas/FlowCanvas.js';
import { AppHeader } from './header/AppHeader.js';
import { Palette } from './palette/Palette.js';
import { SidePanel } from './panel/SidePanel.js';
import { selectedFlowStatus, type AppStore } from './state/app-store.js';
import { startAutosave } from './state/autosave.js';
import { useApp } from './state/store-context.js';
import { OperationsHost } from './ops/OperationsHost.js';
import { flowStateView } from './status/flow-state.js';
import { DemoTour } from './tour/DemoTour.js';

export function App({ client, store }: { client: ApiClient; store: AppStore }) {
  const phase = useApp((s) => s.phase);
  const loadError = useApp((s) => s.loadError);
  const init = useApp((s) => s.init);

  useEffect(() => {
    void store.getState().init();
    const { receiveStatus, addNotice, reportStatusError } = store.getState();
    const stopWatching = watchStatus(client, { onStatus: receiveStatus, onNotice: addNotice, onError: reportStatusError });
    const stopAutosave = startAutosave(store);
    return () => {
      stopWatching();
      stopAutosave();
    };
  }, [client, store]);

  if (phase === 'failed') {
    return (
      <main className="app-failed">
        <div className="app-failed__card" role="alert">
          <h1>SyncCanvas could not open the workspace</h1>
          <p>{loadError}</p>
          <button type="button" className="button button--primary" onClick={() => void init()}>
            Try again
          </button>
        </div>
      </main>
    );
  }

  return (
    <div className="app">
      <AppHeader />
      <Alerts />
      <ReactFlowProvider>
        <main className="app-main" aria-busy={phase === 'loading'}>
          <Palette />
          <div className="canvas-area">{phase === 'loading' ? <div className="canvas-message">Loading workspace…</div> : <NoFlowOr />}</div>
          <SidePanel />
        </main>
      </ReactFlowProvider>
      <OperationsHost client={client} />
      <DemoTour />
    </div>
  );
}

/** The canvas, or a first step when the workspace has no flow yet. */
function NoFlowOr() {
  const hasFlow = useApp((s) => s.selectedFlowId !== null);
  const newFlow = useApp((s) => s.newFlow);
  if (hasFlow) return <FlowCanvas />;
  return (
    <div className="canvas-message">
      <div>
        <p>This workspace has no flows yet.</p>
        <button type="button" className="button button--primary" onClick={() => newFlow()}>
          Create a flow
        </button>
      </div>
    </div>
  );
}

/** Action failures, the flow's own error and runtime notices, above the canvas. */
function Alerts() {
  const actionError = useApp((s) => s.actionError);
  const dismissActionError = useApp((s) => s.dismissActionError);
  const notices = useApp((s) => s.notices);
  const dismissNotice = useApp((s) => s.dismissNotice);
  const status = useApp(selectedFlowStatus);
  const workspace = useApp((s) => s.workspace);
  const keychainDetailOpen = useApp((s) => s.keychainDetailOpen);
  const toggleKeychainDetail = useApp((s) => s.toggleKeychainDetail);
  const flowNotices = status?.notices ?? [];
  const showKeychain = keychainDetailOpen && workspace !== null && !workspace.keychain.available;
  if (!actionError && !status?.error && notices.length === 0 && flowNotices.length === 0 && !showKeychain) return null;

  return (
    <div className="alerts">
      {showKeychain && (
        <div id="keychain-detail" className="alert alert--warning" role="status">
          <span className="alert__text">
            {/* Plain words first; the how-to-fix for whoever looks after the computer stays one click away. */}
            <strong>Passwords cannot be saved on this computer right now.</strong> SyncCanvas keeps passwords in this computer&apos;s keychain, and it could not
            reach it. Flows that need no passwords, like this demo, run normally. Whoever looks after this computer can fix it with the details below.
            <details className="alert__details">
              <summary>Technical details</summary>
              {workspace.keychain.message}
            </details>
          </span>
          <button type="button" className="alert__close" onClick={toggleKeychainDetail} aria-label="Hide keychain details">
            ×
          </button>
        </div>
      )}
      {actionError && (
        <div className="alert alert--error" role="alert">
          <span className="alert__text">{actionError}</span>
          <button type="button" className="alert__close" onClick={dismissActionError} aria-label="Dismiss error">
            ×
          </button>
        </div>
      )}
      {status?.error && (
        <div className="alert alert--error" role="alert">
          <span className="alert__text">
            <strong>{flowStateView(status).headline}</strong> {status.error}
          </span>
        </div>
      )}
      {flowNotices.map((n) => (
        <div key={n} className="alert alert--info" role="status">
          <span className="alert__text">{n}</span>
        </div>
      ))}
      {notices.map((n) => (
        <div key={n.id} className={`alert alert--${n.level}`} role={n.level === 'error' ? 'alert' : 'status'}>
          <span className="alert__text">{n.message}</span>
          <button type="button" className="alert__close" onClick={() => dismissNotice(n.id)} aria-label="Dismiss notice">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
