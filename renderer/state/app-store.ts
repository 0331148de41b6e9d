import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiOutputs, ApiTransport, FlowStatus, FlowSummary } from '../../shared/api/contract.js';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { ApiCallError, errorMessage } from '../api/api-call-error.js';
import { openOperations } from '../ops/ops-store.js';
import { startHistory } from '../editor/history.js';
import { editorActions, initialEditorState, isDirty, type EditorState } from './editor-actions.js';

export type WorkspaceInfo = ApiOutputs['workspace.info'];

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface AppState extends EditorState {
  phase: 'loading' | 'ready' | 'failed';
  /** Why the workspace could not be loaded at all; shown instead of the canvas. */
  loadError: string | null;
  workspace: WorkspaceInfo | null;
  flows: FlowSummary[];
  kindLabels: Record<string, string>;
  selectedFlowId: string | null;
  flow: FlowDocument | null;
  flowError: string | null;
  statuses: Record<string, FlowStatus>;
  /** When the last status (push or poll) arrived, for "updated … ago". */
  statusAt: number | null;
  statusError: string | null;
  selectedSyncId: string | null;
  pendingAction: 'start' | 'stop' | null;
  actionError: string | null;
  notices: Notice[];
  /** Whether the keychain warning's explanation is shown under the header. */
  keychainDetailOpen: boolean;

  init(): Promise<void>;
  selectFlow(flowId: string): Promise<void>;
  selectSync(syncId: string): void;
  startFlow(): Promise<void>;
  stopFlow(): Promise<void>;
  receiveStatus(flows: FlowStatus[]): void;
  reportStatusError(error: unknown): void;
  addNotice(level: Notice['level'], message: string): void;
  dismissNotice(id: number): void;
  dismissActionError(): void;
  toggleKeychainDetail(): void;
}

export type AppStore = StoreApi<AppState>;

const MAX_NOTICES = 4;

/** UI state plus the calls that change it; every runtime call goes through `api`. */
export function createAppStore(api: ApiTransport, now: () => number = Date.now): AppStore {
  let noticeSeq = 0;

  return createStore<AppState>()((set, get) => {
    function mergeStatus(flows: FlowStatus[]): void {
      if (flows.length === 0) return;
      set((state) => {
        const statuses = { ...state.statuses };
        for (const f of flows) statuses[f.flowId] = f;
        const running = new Map(flows.map((f) => [f.flowId, f.running]));
        return {
          statuses,
          statusAt: now(),
          statusError: null,
          flows: state.flows.map((f) => {
            const isRunning = running.get(f.id);
            return isRunning === undefined || isRunning === f.running ? f : { ...f, running: isRunning };
          }),
        };
      });
    }

    async function runAction(kind: 'start' | 'stop'): Promise<void> {
      const flowId = get().selectedFlowId;
      if (!flowId || get().pendingAction) return;
      // A flow runs as saved: an edited draft is saved first (and not started if it cannot be).
      if (kind === 'start' && isDirty(get()) && !(await get().save())) {
        set({ actionError: 'Could not start the flow: it has unsaved changes that cannot be saved yet. Fix the problems marked in red.' });
        return;
      }
      set({ pendingAction: kind, actionError: null });
      try {
        // Starting is going live: preflight runs first, and a flow that fails it does not start.
        const status = kind === 'start' ? (await api.call('flows.goLive', { flowId })).status : await api.call('flows.stop', { flowId });
        mergeStatus([status]);
      } catch (error) {
        if (kind === 'start' && error instanceof ApiCallError && error.code === 'conflict') {
          set({ actionError: 'Not started: preflight found problems. They are listed in Preflight & go live: fix them, or go live anyway with a written reason.' });
          openOperations('preflight');
        } else {
          set({ actionError: `Could not ${kind} the flow: ${errorMessage(error)}` });
        }
      } finally {
        set({ pendingAction: null });
      }
    }

    return {
      phase: 'loading',
      loadError: null,
      workspace: null,
      flows: [],
      kindLabels: {},
      selectedFlowId: null,
      flow: null,
      flowError: null,
      statuses: {},
      statusAt: null,
      statusError: null,
      selectedSyncId: null,
      pendingAction: null,
      actionError: null,
      notices: [],
      keychainDetailOpen: false,
      ...initialEditorState,
      ...editorActions<AppState>(set, get, api, now),

      async init() {
        set({ phase: 'loading', loadError: null });
        let workspace: WorkspaceInfo;
        let flows: FlowSummary[];
        try {
          [workspace, flows] = await Promise.all([api.call('workspace.info', {}), api.call('flows.list', {})]);
        } catch (error) {
          set({ phase: 'failed', loadError: errorMessage(error) });
          return;
        }
        set({ phase: 'ready', workspace, flows });
        // Connector labels and the palette only make the canvas nicer; the raw kind is shown without them.
        void get().loadConnectors();
        const first = flows.find((f) => f.running) ?? flows[0];
        if (first) await get().selectFlow(first.id);
      },

      async selectFlow(flowId) {
        set({ selectedFlowId: flowId, flow: null, history: null, savedJson: null, newDraftJson: null, flowError: null, selectedSyncId: null, selectedSystemId: null, selectedSystemIds: [], actionError: null, panelTab: 'live', entities: {}, tests: {}, saveState: { state: 'idle' }, saveIssues: [] });
        try {
          const { flow } = await api.call('flows.get', { flowId });
          if (get().selectedFlowId !== flowId) return;
          set({ flow, history: startHistory(flow), savedJson: JSON.stringify(flow), selectedSyncId: flow.syncs[0]?.id ?? null });
          void get().refreshSecretStatus();
        } catch (error) {
          if (get().selectedFlowId === flowId) set({ flowError: errorMessage(error) });
        }
      },

      selectSync(syncId) {
        if (get().flow?.syncs.some((s) => s.id === syncId)) set({ selectedSyncId: syncId, selectedSystemId: null });
      },

      startFlow: () => runAction('start'),
      stopFlow: () => runAction('stop'),

      receiveStatus: mergeStatus,

      reportStatusError(error) {
        set({ statusError: errorMessage(error) });
      },

      addNotice(level, message) {
        noticeSeq += 1;
        const notice = { id: noticeSeq, level, message };
        set((state) => ({ notices: [...state.notices, notice].slice(-MAX_NOTICES) }));
      },

      dismissNotice(id) {
        set((state) => ({ notices: state.notices.filter((n) => n.id !== id) }));
      },

      dismissActionError() {
        set({ actionError: null });
      },

      toggleKeychainDetail() {
        set((state) => ({ keychainDetailOpen: !state.keychainDetailOpen }));
      },
    };
  });
}

/** The status of the flow on screen, if the runtime has reported one. */
export function selectedFlowStatus(state: Pick<AppState, 'selectedFlowId' | 'statuses'>): FlowStatus | null {
  return state.selectedFlowId ? (state.statuses[state.selectedFlowId] ?? null) : null;
}
