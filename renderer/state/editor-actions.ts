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
  /**
   * JSON of the empty flow New flow made, while that draft has never been saved: autosave waits until
   * it differs (a system added, a name given), so the flows list does not fill with empty drafts.
   */
  newDraftJson: string | null;
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
  /**
   * Syncs drawn but not edited yet: their problems (no entity, no fields…) are not shown until the user
   * edits them or saves by hand, so a new edge does not open covered in red.
   */
  untouchedSyncIds: string[];
  /** A flow file whose id is already in the workspace: opened only once the user chose replace or copy. */
  pendingImport: { flow: FlowDocument; fileName: string; existingName: string } | null;

  newFlow(name?: string): void;
  renameFlow(name: string): void;
  openFlowText(text: string, fileName: string): boolean;
  /** Answers the question a pending import asks: replace the workspace's flow, open it as a copy, or neither. */
  resolveImport(choice: 'replace' | 'copy' | 'cancel'): void;
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
  /** One folder for the file picker (browser mode); rejects with the runtime's message. */
  browseFiles(path?: string): Promise<ApiOutputs['files.browse']>;
  /** The absolute file a typed path means, or null when the runtime cannot say. */
  resolveFilePath(path: string): Promise<ApiOutputs['files.resolve'] | null>;
  /** Any REST API's builder: one sample GET with the system's draft settings; rejects with what went wrong. */
  restSample(systemId: string, path: string): Promise<ApiOutputs['connectors.restSample']>;
  /** The names the system offers for a `broker-choice` setting (streams, consumers, groups); rejects with the runtime's message. */
  listChoices(systemId: string, field: string): Promise<string[]>;
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
  newDraftJson: null,
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
  untouchedSyncIds: [],
  pendingImport: null,
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

/** A flow just made by New flow and not touched since (or undone back to that): nothing worth saving yet. */
export function isUntouchedNewFlow(s: Pick<EditorState, 'history' | 'savedJson' | 'newDraftJson'>): boolean {
  return s.history !== null && s.savedJson === null && s.newDraftJson !== null && jsonOf(s.history.present) === s.newDraftJson;
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
    set_({ history, flow, savedJson, newDraftJson: null, selectedFlowId: flow.id, selectedSyncId: null, selectedSystemId: null, selectedSystemIds: [], panelTab: 'settings', entities: {}, tests: {}, saveState: { state: 'idle' }, saveIssues: [], untouchedSyncIds: [] });
  };
  const systemOf = (id: string) => draft()?.systems.find((s) => s.id === id) ?? null;

  return {
    newFlow(name = 'Untitled flow') {
      const taken = get().flows.map((f) => f.id);
      const unique = edits.uniqueName(name, get().flows.map((f) => f.name));
      const flow = edits.newFlowDocument(unique, taken);
      replaceDraft(flow, null);
      set_({ newDraftJson: jsonOf(flow) });
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
      const existing = get().flows.find((f) => f.id === parsed.flow.id);
      if (existing) {
        // Autosave would write over the workspace's flow without a click: ask first.
        set_({ pendingImport: { flow: parsed.flow, fileName, existingName: existing.name }, actionError: null });
        return true;
      }
      replaceDraft(parsed.flow, null);
      set_({ actionError: null });
      return true;
    },

    resolveImport(choice) {
      const pending = get().pendingImport;
      set_({ pendingImport: null });
      if (!pending || choice === 'cancel') return;
      if (choice === 'replace') {
        replaceDraft(pending.flow, null);
        return;
      }
      const flows = get().flows;
      const name = edits.uniqueName(`${pending.flow.name} (copy)`, flows.map((f) => f.name));
      replaceDraft({ ...pending.flow, id: edits.uniqueId(name, flows.map((f) => f.id)), name }, null);
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
      set_({ selectedSyncId: id, selectedSystemId: null, selectedSystemIds: [], panelTab: 'settings', connectHint: null, untouchedSyncIds: [...get().untouchedSyncIds, id] });
      const discovering = [source!, target!].map(async (systemId) => {
        const configured = Object.keys(systemOf(systemId)?.config ?? {}).length > 0;
        if (configured && !get().entities[systemId]) await get().discover(systemId);
      });
      // A system with a single table or object leaves nothing to choose: pick it for the user.
      void Promise.all(discovering).then(() => {
        const sync = draft()?.syncs.find((x) => x.id === id);
        if (!sync) return;
        const only = (systemId: string) => {
          const e = get().entities[systemId];
          return e?.state === 'ok' && e.result.entities.length === 1 ? e.result.entities[0]!.name : null;
        };
        const a = sync.a.entity || only(sync.a.system) || '';
        const b = sync.b.entity || only(sync.b.system) || '';
        if (a !== sync.a.entity || b !== sync.b.entity) commit(edits.updateSync(draft()!, id, { a: { ...sync.a, entity: a }, b: { ...sync.b, entity: b } }));
      });
      return id;
    },

    updateSync(id, patch, group) {
      const flow = draft();
      if (!flow) return;
      commit(edits.updateSync(flow, id, patch), group ? `sync:${id}:${group}` : undefined);
      if (get().untouchedSyncIds.includes(id)) set_({ untouchedSyncIds: get().untouchedSyncIds.filter((x) => x !== id) });
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
      // Saving by hand is when every problem must show, including those of syncs not edited yet.
      if (!options.auto && get().untouchedSyncIds.length > 0) set_({ untouchedSyncIds: [] });
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

    browseFiles(path) {
      return api.call('files.browse', path ? { path } : {});
    },

    async restSample(systemId, path) {
      const system = systemOf(systemId);
      if (!system) throw new Error('the system is no longer in the flow');
      return api.call('connectors.restSample', { system, path });
    },

    async listChoices(systemId, field) {
      const system = systemOf(systemId);
      if (!system) throw new Error('the system is no longer in the flow');
      return (await api.call('connectors.choicesDraft', { system, field })).choices;
    },

    async resolveFilePath(path) {
      try {
        return await api.call('files.resolve', { path });
      } catch {
        return null;
      }
    },
  };
}
