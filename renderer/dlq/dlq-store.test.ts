import { describe, expect, it } from 'vitest';
import type { ApiInput, ApiMethod, ApiOutputs, ApiTransport, DlqEntry } from '../../shared/api/contract.js';
import { createDlqStore, DLQ_PAGE_SIZE, UNDO_WINDOW_MS } from './dlq-store.js';

/** A DLQ served from memory with the runtime's paging rules; records every call. */
function fakeRuntime(n: number) {
  let entries: DlqEntry[] = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    flowId: 'f',
    syncId: 's',
    direction: 'a-to-b',
    eventId: `e${i}`,
    sourceSystem: 'a',
    targetSystem: 'b',
    entity: 'contacts',
    key: String(i + 1),
    errorClass: i % 2 ? 'validation' : 'transient',
    message: 'bad',
    response: null,
    attempts: 1,
    firstFailedAt: 0,
    lastFailedAt: 0,
    event: {},
    payload: null,
  }));
  const discarded: DlqEntry[] = [];
  const calls: { method: string; input: unknown }[] = [];
  const client: ApiTransport = {
    async call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]> {
      calls.push({ method, input });
      const i = input as Record<string, unknown>;
      const newestFirst = () => [...entries].sort((x, y) => y.id - x.id);
      switch (method) {
        case 'dlq.list': {
          const f = (i.filter ?? {}) as { errorClass?: string };
          const all = newestFirst().filter((e) => !f.errorClass || e.errorClass === f.errorClass);
          const offset = i.offset as number;
          return { total: all.length, entries: all.slice(offset, offset + (i.limit as number)) } as ApiOutputs[M];
        }
        case 'dlq.replay': {
          const ids = i.ids as number[] | undefined;
          const cls = (i.filter as { errorClass?: string } | undefined)?.errorClass;
          const hit = entries.filter((e) => (ids ? ids.includes(e.id) : e.errorClass === cls));
          entries = entries.filter((e) => !hit.includes(e));
          return { replayed: hit.length } as ApiOutputs[M];
        }
        case 'dlq.discard': {
          const ids = i.ids as number[];
          const hit = entries.filter((e) => ids.includes(e.id));
          discarded.push(...hit);
          entries = entries.filter((e) => !hit.includes(e));
          return { discarded: hit.length } as ApiOutputs[M];
        }
        case 'dlq.undoDiscard': {
          entries.push(...discarded.splice(0));
          return { restored: (i.ids as number[]).length, expired: [] } as ApiOutputs[M];
        }
        default:
          throw new Error(`unexpected ${method}`);
      }
    },
  };
  return { client, calls, size: () => entries.length };
}

describe('DLQ inspector store', () => {
  it('loads only the pages the visible rows need', async () => {
    const rt = fakeRuntime(100_000);
    const store = createDlqStore(rt.client);
    await store.getState().open('f');
    expect(store.getState().total).toBe(100_000);
    expect(rt.calls.filter((c) => c.method === 'dlq.list')).toHaveLength(1);
    await store.getState().ensureRows(50_000, 50_030);
    const lists = rt.calls.filter((c) => c.method === 'dlq.list').map((c) => (c.input as { offset: number }).offset);
    expect(lists).toEqual([0, Math.floor(50_000 / DLQ_PAGE_SIZE) * DLQ_PAGE_SIZE]);
    expect(store.getState().rowAt(50_000)?.id).toBe(100_000 - 50_000);
    expect(store.getState().rowAt(70_000)).toBeUndefined();
  });

  it('replays all of one error class with one call and reloads', async () => {
    const rt = fakeRuntime(10);
    const store = createDlqStore(rt.client);
    await store.getState().open('f');
    await store.getState().replayClass('validation');
    expect(rt.calls.find((c) => c.method === 'dlq.replay')?.input).toEqual({ filter: { flowId: 'f', errorClass: 'validation' } });
    expect(store.getState().total).toBe(5);
    expect(store.getState().message).toEqual({ level: 'info', text: 'Replayed 5 validation errors.' });
  });

  it('reloads on a poll only when the DLQ changed', async () => {
    const rt = fakeRuntime(10);
    const store = createDlqStore(rt.client);
    await store.getState().open('f');
    const lists = () => rt.calls.filter((c) => c.method === 'dlq.list').length;
    await store.getState().refreshIfChanged();
    expect(lists()).toBe(2);
    await rt.client.call('dlq.replay', { ids: [10] });
    await store.getState().refreshIfChanged();
    expect(lists()).toBe(4);
    expect(store.getState().total).toBe(9);
  });

  it('discards with an undo window', async () => {
    let t = 1000;
    const rt = fakeRuntime(3);
    const store = createDlqStore(rt.client, () => t);
    await store.getState().open('f');
    await store.getState().discard([1, 2]);
    expect(store.getState().total).toBe(1);
    expect(store.getState().undo).toEqual({ ids: [1, 2], until: 1000 + UNDO_WINDOW_MS });
    await store.getState().undoDiscard();
    expect(store.getState().total).toBe(3);
    await store.getState().discard([3]);
    t += UNDO_WINDOW_MS + 1;
    await store.getState().undoDiscard();
    expect(store.getState().message?.level).toBe('error');
    expect(rt.size()).toBe(2);
  });
});
