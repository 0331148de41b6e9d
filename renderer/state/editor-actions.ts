import type { ApiOutputs, ApiTransport, ConnectorKindInfo } from '../../shared/api/contract.js';
import type { FlowDocument, SyncEdge, SystemNode } from '../../shared/flow/schema.js';
import { parseFlowDocument, parseFlowText, type ValidationIssue } from '../../shared/flow/validate.js';
import { errorMessage } from '../api/api-call-error.js';
import { copySelection, parseSnippet, pasteSnippet } from '../editor/clipboard.js';
import { canConnect } from '../editor/connect-rules.js';
import { secretName } from '../editor/config-form.js';
import * as edits from '../editor/flow-edits.js';
import { canRedo, canUndo, record, redo, startHistory, undo, type History } from '../editor/history.js';

export type DiscoverResult = ApiOutputs['connectors.discover'];
export type TestResult = ApiOutputs['connectors.test'];
export type EntitiesState = { state: 'loading' } | { state: 'ok'; result: DiscoverResult } | { state: 'error'; message: string };
export type TestState = { state: 'running' } | { state: 'done'; result: TestResult };
export type SaveState = { state: 'idle' | 'saving' | 'saved' } | { state: 'error'; message: string };
export type SecretStatus = ApiOutputs['secrets.status'];

export interface EditorState {
  history: History<FlowDocument> | null;
  /** JSON of the flow as last saved to the workspace; null while it has never been saved. */
  savedJson: string | null;
  connectors: ConnectorKindInfo[];
  selectedSystemId: string | null;
  /** Systems selected on the canvas (for copy, delete). */
  selectedSystemIds: string[];
  panelTab: 'live' | 'settings';
  entities: Record<string, EntitiesState>;
  tests: Record<string, TestState>;
  secretStatus: SecretStatus | null;
  saveState: SaveState;
  /** Issues the runtime reported on the last save (the local check covers the schema). */
  saveIssues: ValidationIssue[];
  connectHint: string | null;

  newFlow(name?: string): void;
  renameFlow(name: string): void;
  openFlowText(text: string, fileName: string): boolean;
  addSystem(kind: string, position: { x: number; y: number }): string;
  moveSystems(positions: ReadonlyMap<string, { x: number; y: number }>): void;
  updateSystem(id: string, patch: Partial<Omit<SystemNode, 'id'>>, group?: string): void;
  connect(source: string | null, target: string | null): string | null;
  updateSync(id: string, patch: Partial<Omit<SyncEdge, 'id'>>, group?: string): void;
  removeElements(ids: { systems?: string[]; syncs?: string[] }): void;
  selectSystem(id: string | null): void;
  setCanvasSelection(systemIds: string[]): void;
  setPanelTab(tab: 'live' | 'settings'): void;
  undo(): void;
  redo(): void;
  copySelectionText(): string | null;
  pasteText(text: string): boolean;
  save(options?: { auto?: boolean }): Promise<boolean>;
  discover(systemId: string): Promise<void>;
  /** AI feeds: classes for the sync's unclassified fields from their names and source samples; says what was done. */
  suggestClasses(syncId: string): Promise<string>;
  testSystem(systemId: string): Promise<void>;
  setSecret(systemId: string, field: string, value: string): Promise<boolean>;
  refreshSecretStatus(): Promise<void>;
  loadConnectors(): Promise<void>;
  clearConnectHint(): void;
}

/** Only the part of the app state the editor actions read besides their own. */
interface HostState extends EditorState {
  flow: FlowDocument | null;
  flows: { id: string; name: string; running: boolean; updatedAt: number }[];
  selectedFlowId: string | null;
  selectedSyncId: string | null;
  actionError: string | null;
}

type Set<S> = (partial: Partial<S> | ((s: S) => Partial<S>)) => void;

export const initialEditorState = {
  history: null,
  savedJson: null,
  connectors: [],
  selectedSystemId: null,
  selectedSystemIds: [],
  panelTab: 'live',
  entities: {},
  tests: {},
  secretStatus: null,
  saveState: { state: 'idle' },
  saveIssues: [],
  connectHint: null,
} satisfies Partial<EditorState>;

// Documents are immutable, so each one is serialised at most once however often selectors ask.
const jsonCache = new WeakMap<FlowDocument, string>();
function jsonOf(flow: FlowDocument): string {
  let json = jsonCache.get(flow);
  if (json === undefined) {
    json = JSON.stringify(flow);
    jsonCache.set(flow, json);
  }
  return json;
}

/** Whether the draft differs from what is saved in the workspace. */
export function isDirty(s: Pick<EditorState, 'history' | 'savedJson'>): boolean {
  return s.history !== null && jsonOf(s.history.present) !== s.savedJson;
}

export const undoable = (s: Pick<EditorState, 'history'>) => (s.history ? canUndo(s.history) : false);
export const redoable = (s: Pick<EditorState, 'history'>) => (s.history ? canRedo(s.history) : false);

/** Draft-editing actions, mixed into the app store; every runtime call goes through `api`. */
export function editorActions<S extends HostState>(set: Set<S>, get: () => S, api: ApiTransport, now: () => number): Omit<EditorState, keyof typeof initialEditorState> {
  const set_ = set as Set<HostState>;
  const commit = (next: FlowDocument, group?: string) => {
    const h = get().history;
    if (!h || next === h.present) return;
    const history = record(h, next, { group, at: now() });
    set_({ history, flow: history.present, saveState: { state: 'idle' }, saveIssues: [] });
  };
  const draft = (): FlowDocument | null => get().history?.present ?? null;
  const replaceDraft = (flow: FlowDocument, savedJson: string | null) => {
    const history = startHistory(flow);
    set_({ history, flow, savedJson, selectedFlowId: flow.id, selectedSyncId: null, selectedSystemId: null, selectedSystemIds: [], panelTab: 'settings', entities: {}, tests: {}, saveState: { state: 'idle' }, saveIssues: [] });
  };
  const systemOf = (id: string) => draft()?.systems.find((s) => s.id === id) ?? null;

  return {
    newFlow(name = 'Untitled flow') {
      const taken = get().flows.map((f) => f.id);
      const unique = edits.uniqueName(name, get().flows.map((f) => f.name));
      replaceDraft(edits.newFlowDocument(unique, taken), null);
    },

    renameFlow(name) {
      const flow = draft();
      if (flow) commit({ ...flow, name }, 'flow-name');
    },

    openFlowText(text, fileName) {
      const parsed = parseFlowText(text);
      if (!parsed.ok) {
        set_({ actionError: `Could not open ${fileName}: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` });
        return false;
      }
      const existing = get().flows.some((f) => f.id === parsed.flow.id);
      replaceDraft(parsed.flow, null);
      set_({ actionError: existing ? `Opened ${fileName}. A flow with the id "${parsed.flow.id}" is in the workspace: saving replaces it.` : null });
      return true;
    },

    addSystem(kind, position) {
      const flow = draft();
      if (!flow) return '';
      const label = get().connectors.find((c) => c.kind === kind)?.label ?? kind;
      const { flow: next, id } = edits.addSystem(flow, kind, label, position);
      commit(next);
      set_({ selectedSystemId: id, selectedSyncId: null, selectedSystemIds: [id], panelTab: 'settings' });
      return id;
    },

    moveSystems(positions) {
      const flow = draft();
      if (flow) commit(edits.moveSystems(flow, positions));
    },

    updateSystem(id, patch, group) {
      const flow = draft();
      if (flow) commit(edits.updateSystem(flow, id, patch), group ? `system:${id}:${group}` : undefined);
    },

    connect(source, target) {
      const flow = draft();
      if (!flow) return null;
      const check = canConnect(flow, source, target);
      if (!check.ok) {
        set_({ connectHint: check.reason });
        return null;
      }
      const { flow: next, id } = edits.addSync(flow, source!, target!);
      commit(next);
      set_({ selectedSyncId: id, selectedSystemId: null, selectedSystemIds: [], panelTab: 'settings', connectHint: null });
      for (const systemId of [source!, target!]) {
        const configured = Object.keys(systemOf(systemId)?.config ?? {}).length > 0;
        if (configured && !get().entities[systemId]) void get().discover(systemId);
      }
      return id;
    },

    updateSync(id, patch, group) {
      const flow = draft();
      if (flow) commit(edits.updateSync(flow, id, patch), group ? `sync:${id}:${group}` : undefined);
    },

    removeElements(ids) {
      const flow = draft();
      if (!flow) return;
      commit(edits.removeElements(flow, ids));
      const s = get();
      const stillThere = (id: string | null, list: { id: string }[]) => (id && list.some((x) => x.id === id) ? id : null);
      const next = draft()!;
      set_({ selectedSystemId: stillThere(s.selectedSystemId, next.systems), selectedSyncId: stillThere(s.selectedSyncId, next.syncs), selectedSystemIds: [] });
    },

    selectSystem(id) {
      set_({ selectedSystemId: id, selectedSyncId: id ? null : get().selectedSyncId, panelTab: id ? 'settings' : get().panelTab });
      if (id && !get().entities[id] && systemOf(id) && Object.keys(systemOf(id)!.config).length > 0) void get().discover(id);
    },

    setCanvasSelection(systemIds) {
      // One update for the whole selection: each store change re-renders the canvas once.
      const single = systemIds.length === 1 ? systemIds[0]! : null;
      if (!single) {
        set_({ selectedSystemIds: systemIds });
        return;
      }
      set_({ selectedSystemIds: systemIds, selectedSystemId: single, selectedSyncId: null, panelTab: 'settings' });
      const system = systemOf(single);
      if (system && !get().entities[single] && Object.keys(system.config).length > 0) void get().discover(single);
    },

    setPanelTab(tab) {
      set_({ panelTab: tab });
    },

    undo() {
      const h = get().history;
      if (!h || !canUndo(h)) return;
      const history = undo(h);
      set_({ history, flow: history.present });
    },

    redo() {
      const h = get().history;
      if (!h || !canRedo(h)) return;
      const history = redo(h);
      set_({ history, flow: history.present });
    },

    copySelectionText() {
      const flow = draft();
      const s = get();
      const ids = s.selectedSystemIds.length > 0 ? s.selectedSystemIds : s.selectedSystemId ? [s.selectedSystemId] : [];
      const snippet = flow ? copySelection(flow, ids) : null;
      return snippet ? JSON.stringify(snippet) : null;
    },

    pasteText(text) {
      const flow = draft();
      const snippet = parseSnippet(text);
      if (!flow || !snippet) return false;
      const pasted = pasteSnippet(flow, snippet);
      commit(pasted.flow);
      set_({ selectedSystemIds: pasted.systemIds, selectedSystemId: pasted.systemIds[0] ?? null, selectedSyncId: null });
      return true;
    },

    async save(options = {}) {
      const flow = draft();
      if (!flow) return false;
      const local = parseFlowDocument(flow);
      if (!local.ok) {
        // An autosave of an unfinished draft is not an error: the issues are already shown inline.
        if (!options.auto) set_({ saveState: { state: 'error', message: `Fix ${local.issues.length === 1 ? 'the problem' : `the ${local.issues.length} problems`} marked in red before saving.` } });
        return false;
      }
      set_({ saveState: { state: 'saving' } });
      try {
        const result = await api.call('flows.save', { flow });
        if (!result.ok) {
          set_({ saveState: { state: 'error', message: 'The runtime did not accept the flow: fix the problems marked in red.' }, saveIssues: result.issues });
          return false;
        }
        const flows = await api.call('flows.list', {});
        // Keep the draft the user may have edited while the save was in flight.
        set_({ savedJson: jsonOf(flow), flows, saveState: { state: 'saved' }, saveIssues: [] });
        return true;
      } catch (error) {
        set_({ saveState: { state: 'error', message: `Could not save: ${errorMessage(error)}` } });
        return false;
      }
    },

    async discover(systemId) {
      const system = systemOf(systemId);
      if (!system) return;
      set_((s) => ({ entities: { ...s.entities, [systemId]: { state: 'loading' } } }));
      try {
        const result = await api.call('connectors.discoverDraft', { system });
        set_((s) => ({ entities: { ...s.entities, [systemId]: { state: 'ok', result } } }));
      } catch (error) {
        set_((s) => ({ entities: { ...s.entities, [systemId]: { state: 'error', message: errorMessage(error) } } }));
      }
    },

    async suggestClasses(syncId) {
      const sync = get().flow?.syncs.find((x) => x.id === syncId);
      if (!sync) return 'the sync is gone';
      const side = sync.direction === 'b-to-a' ? 'b' : 'a';
      const system = systemOf(sync[side].system);
      const open = sync.fields.filter((m) => !m.class && m[side]);
      if (!system || open.length === 0) return 'every field is classified';
      const result = await api.call('ai.suggestClasses', { system, entity: sync[side].entity, fields: open.map((m) => m[side]) });
      const byField = new Map(open.map((m, i) => [m[side], result.suggestions[i] ?? null]));
      const current = get().flow?.syncs.find((x) => x.id === syncId);
      if (!current) return 'the sync is gone';
      let n = 0;
      const fields = current.fields.map((m) => {
        const s = m.class ? null : byField.get(m[side]);
        if (!s) return m;
        n++;
        return { ...m, class: s.class };
      });
      get().updateSync(syncId, { fields });
      return `suggested ${n} of ${open.length} from their names and ${result.samples} sample record${result.samples === 1 ? '' : 's'}: check each before going live`;
    },

    async testSystem(systemId) {
      const system = systemOf(systemId);
      if (!system) return;
      set_((s) => ({ tests: { ...s.tests, [systemId]: { state: 'running' } } }));
      let result: TestResult;
      try {
        result = await api.call('connectors.testDraft', { system });
      } catch (error) {
        result = { ok: false, message: errorMessage(error), checks: [] };
      }
      set_((s) => ({ tests: { ...s.tests, [systemId]: { state: 'done', result } } }));
      if (result.ok) void get().discover(systemId);
    },

    async setSecret(systemId, field, value) {
      const system = systemOf(systemId);
      const flowId = get().selectedFlowId;
      if (!system || !flowId) return false;
      const name = secretName(flowId, systemId, field);
      try {
        await api.call('secrets.set', { name, value });
      } catch (error) {
        set_({ actionError: `Could not store the secret: ${errorMessage(error)}` });
        await get().refreshSecretStatus();
        return false;
      }
      if (system.secretRefs[field] !== name) get().updateSystem(systemId, { secretRefs: { ...system.secretRefs, [field]: name } });
      await get().refreshSecretStatus();
      return true;
    },

    async refreshSecretStatus() {
      const flow = draft();
      if (!flow) return;
      const names = flow.systems.flatMap((s) => Object.values(s.secretRefs));
      try {
        set_({ secretStatus: await api.call('secrets.status', { names }) });
      } catch {
        // The status only decorates the form; the form still works without it.
      }
    },

    async loadConnectors() {
      try {
        const connectors = await api.call('connectors.list', {});
        set_({ connectors } as Partial<HostState>);
        set((s) => ({ ...s, kindLabels: Object.fromEntries(connectors.map((k) => [k.kind, k.label])) }));
      } catch {
        // Without the list the palette is empty and says why; the canvas still shows the flow.
      }
    },

    clearConnectHint() {
      set_({ connectHint: null });
    },
  };
}
