import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiTransport, DirectionKey, DlqEntry, DlqFilter, PreviewRow, RecordComparison } from '../../shared/api/contract.js';
import type { ErrorClass } from '../../shared/errors.js';
import { errorMessage } from '../api/api-call-error.js';
import { pagesFor } from './windowing.js';

export const DLQ_PAGE_SIZE = 200;
/** Matches the runtime's undo window for discards. */
export const UNDO_WINDOW_MS = 30_000;

export interface DlqState {
  flowId: string | null;
  filter: DlqFilter;
  total: number;
  /** Loaded server pages (page index → entries), newest first like the server. */
  pages: Record<number, DlqEntry[]>;
  loading: boolean;
  selected: ReadonlySet<number>;
  detail: DlqEntry | null;
  busy: boolean;
  message: { level: 'info' | 'error'; text: string } | null;
  /** The last discard, undoable until `until`. */
  undo: { ids: number[]; until: number } | null;
  /** Bumped on every filter change or refresh: answers for an older generation are dropped. */
  generation: number;
  /**
   * After an edit and replay: where the record's two sides still differ once the replay has had
   * time to apply (per direction, what a sync would still change), or [] when they agree.
   */
  mismatch: { syncId: string; directions: { direction: DirectionKey; changes: PreviewRow['changes'] }[] } | null;
}

/** Directions of a comparison in which the two sides do not agree yet. */
export function disagreements(c: RecordComparison): { direction: DirectionKey; changes: PreviewRow['changes'] }[] {
  return c.directions.filter((d) => d.row && d.row.action !== 'no-op').map((d) => ({ direction: d.direction, changes: d.row!.changes }));
}

/** The record of an entry, compared across its edge now (records.compare). */
export function compareEntry(client: ApiTransport, e: Pick<DlqEntry, 'flowId' | 'syncId' | 'direction' | 'key'>): Promise<RecordComparison> {
  return client.call('records.compare', { flowId: e.flowId, syncId: e.syncId, side: e.direction === 'a-to-b' ? 'a' : 'b', key: e.key });
}

/** How long after an edit and replay the sides are compared before a difference is pointed out. */
const SETTLE_MS = 8_000;

export interface DlqActions {
  open(flowId: string, filter?: Omit<DlqFilter, 'flowId'>): Promise<void>;
  setFilter(patch: Partial<DlqFilter>): Promise<void>;
  refresh(): Promise<void>;
  /** Make sure rows [start, end) are loaded (the table calls this as it scrolls). */
  ensureRows(start: number, end: number): Promise<void>;
  rowAt(index: number): DlqEntry | undefined;
  /** Reload when entries arrived or left since the last load (polled while the inspector is open). */
  refreshIfChanged(): Promise<void>;
  toggleSelected(id: number): void;
  clearSelection(): void;
  showDetail(id: number | null): Promise<void>;
  replay(ids: number[]): Promise<void>;
  replayClass(errorClass: ErrorClass): Promise<void>;
  editReplay(id: number, fields: Record<string, unknown>): Promise<void>;
  /** For an entry whose record the source has since fixed and the target already agrees with: clear it (undoable), saying nothing changed. */
  clearSettled(id: number): Promise<void>;
  /** The entry's record across its edge now (reads only). */
  compare(entry: DlqEntry): Promise<RecordComparison>;
  discard(ids: number[]): Promise<void>;
  undoDiscard(): Promise<void>;
  resolveConflict(id: number, choice: { keep: 'a' | 'b' } | { value: unknown }): Promise<void>;
  dismissMessage(): void;
}

export type DlqStore = StoreApi<DlqState & DlqActions>;

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** The DLQ inspector's state: a server-paged window over the DLQ, selection, detail and actions. */
export function createDlqStore(client: ApiTransport, now: () => number = Date.now): DlqStore {
  const inflight = new Set<string>();
  return createStore<DlqState & DlqActions>()((set, get) => {
    const act = async (what: () => Promise<string>) => {
      set({ busy: true, message: null, mismatch: null });
      try {
        const text = await what();
        set({ message: { level: 'info', text } });
      } catch (e) {
        set({ message: { level: 'error', text: errorMessage(e) } });
      } finally {
        set({ busy: false });
        await get().refresh();
      }
    };
    const watchSettled = async (entry: DlqEntry) => {
      const until = now() + SETTLE_MS;
      let last: ReturnType<typeof disagreements> = [];
      for (;;) {
        try {
          last = disagreements(await compareEntry(client, entry));
        } catch {
          return;
        }
        if (last.length === 0 || now() >= until) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      set({ mismatch: { syncId: entry.syncId, directions: last } });
    };
    const loadPage = async (page: number) => {
      const { generation, filter } = get();
      const k = `${generation}:${page}`;
      if (inflight.has(k) || get().pages[page]) return;
      inflight.add(k);
      try {
        const r = await client.call('dlq.list', { filter, limit: DLQ_PAGE_SIZE, offset: page * DLQ_PAGE_SIZE });
        if (get().generation !== generation) return;
        set((s) => ({ total: r.total, pages: { ...s.pages, [page]: r.entries } }));
      } finally {
        inflight.delete(k);
      }
    };
    return {
      flowId: null,
      filter: {},
      total: 0,
      pages: {},
      loading: false,
      selected: new Set(),
      detail: null,
      busy: false,
      message: null,
      undo: null,
      generation: 0,
      mismatch: null,

      async open(flowId, filter = {}) {
        set({ flowId, selected: new Set(), detail: null });
        await get().setFilter({ ...filter, flowId });
      },
      async setFilter(patch) {
        const filter: DlqFilter = { ...get().filter, ...patch };
        for (const k of Object.keys(filter) as (keyof DlqFilter)[]) if (filter[k] === undefined || filter[k] === '') delete filter[k];
        set({ filter, selected: new Set() });
        await get().refresh();
      },
      async refresh() {
        set((s) => ({ generation: s.generation + 1, pages: {}, loading: true }));
        try {
          await loadPage(0);
        } catch (e) {
          set({ message: { level: 'error', text: errorMessage(e) } });
        } finally {
          set({ loading: false });
        }
      },
      async ensureRows(start, end) {
        try {
          await Promise.all(pagesFor(start, Math.min(end, Math.max(get().total, 1)), DLQ_PAGE_SIZE).map(loadPage));
        } catch (e) {
          set({ message: { level: 'error', text: errorMessage(e) } });
        }
      },
      async refreshIfChanged() {
        if (get().busy || get().loading) return;
        try {
          const { generation, filter } = get();
          const head = await client.call('dlq.list', { filter, limit: 1, offset: 0 });
          const shown = get().pages[0]?.[0]?.id;
          if (get().generation === generation && (head.total !== get().total || head.entries[0]?.id !== shown)) await get().refresh();
        } catch {
          /* the next poll tries again; actions report their own errors */
        }
      },
      rowAt(index) {
        return get().pages[Math.floor(index / DLQ_PAGE_SIZE)]?.[index % DLQ_PAGE_SIZE];
      },
      toggleSelected(id) {
        const next = new Set(get().selected);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        set({ selected: next });
      },
      clearSelection() {
        set({ selected: new Set() });
      },
      async showDetail(id) {
        if (id === null) return set({ detail: null });
        try {
          set({ detail: await client.call('dlq.get', { id }) });
        } catch (e) {
          set({ detail: null, message: { level: 'error', text: errorMessage(e) } });
        }
      },
      replay: (ids) =>
        act(async () => {
          const r = await client.call('dlq.replay', { ids });
          set({ selected: new Set(), detail: null });
          return `Replayed ${plural(r.replayed, 'change')}: they are decided again with the current mapping.`;
        }),
      replayClass: (errorClass) =>
        act(async () => {
          const { filter } = get();
          const r = await client.call('dlq.replay', { filter: { ...filter, errorClass } });
          set({ selected: new Set(), detail: null });
          return `Replayed ${plural(r.replayed, `${errorClass} error`)}.`;
        }),
      editReplay: (id, fields) =>
        act(async () => {
          const entry = get().detail?.id === id ? get().detail : await client.call('dlq.get', { id });
          await client.call('dlq.editReplay', { id, fields });
          set({ detail: null, mismatch: null });
          // The edit fixes what was sent, not the source: once the replay has applied, say whether
          // the two sides agree, so a value left different on one side is not missed.
          if (entry) void watchSettled(entry);
          return 'Edited and replayed 1 change.';
        }),
      compare: (entry) => compareEntry(client, entry),
      clearSettled: (id) =>
        act(async () => {
          await client.call('dlq.discard', { ids: [id] });
          set({ selected: new Set(), detail: null, undo: { ids: [id], until: now() + UNDO_WINDOW_MS } });
          return 'Nothing changed: the record was fixed at its source since, and the other side already agrees. The entry is cleared.';
        }),
      discard: (ids) =>
        act(async () => {
          const r = await client.call('dlq.discard', { ids });
          set({ selected: new Set(), detail: null, undo: { ids, until: now() + UNDO_WINDOW_MS } });
          return `Discarded ${plural(r.discarded, 'change')}.`;
        }),
      undoDiscard: () =>
        act(async () => {
          const u = get().undo;
          if (!u || now() > u.until) throw new Error('the undo window has passed: the discarded changes are gone');
          const r = await client.call('dlq.undoDiscard', { ids: u.ids });
          set({ undo: null });
          return r.expired.length ? `Restored ${plural(r.restored, 'change')}; ${plural(r.expired.length, 'was', 'were')} past the undo window.` : `Restored ${plural(r.restored, 'change')}.`;
        }),
      resolveConflict: (id, choice) =>
        act(async () => {
          await client.call('conflicts.resolve', { id, ...choice });
          set({ detail: null });
          return 'Conflict resolved: both systems now hold the chosen value.';
        }),
      dismissMessage() {
        set({ message: null });
      },
    };
  });
}
