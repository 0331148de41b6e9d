import type { ChangeEvent } from '../../../../shared/events.js';
import { replayDlqEntries } from '../../operations/dlq-replay.js';
import { ApiError } from '../handlers.js';
import type { HandlerContext, HandlerGroup } from './context.js';

type DlqMethods = 'dlq.list' | 'dlq.get' | 'dlq.replay' | 'dlq.discard' | 'dlq.undoDiscard' | 'dlq.editReplay';

/** The dead-letter queue: list, replay, edit and replay, discard (with its undo window). */
export function dlqHandlers({ workspace, supervisor }: HandlerContext): HandlerGroup<DlqMethods> {
  const { store } = workspace;
  return {
    'dlq.list': async ({ filter, limit, offset }) => store.dlq.list(filter, limit, offset),
    'dlq.get': async ({ id }) => {
      const e = store.dlq.get(id);
      if (!e) throw new ApiError('not_found', `there is no DLQ entry ${id} (it may have been replayed or discarded)`);
      return e;
    },
    'dlq.replay': async ({ ids, filter }) => {
      const byFlow = new Map<string, number[]>();
      for (const e of store.dlq.select({ ids, filter })) {
        // A conflict is settled by choosing a value (conflicts.resolve); a replay would only drop it.
        if (e.errorClass === 'conflict') continue;
        byFlow.set(e.flowId, [...(byFlow.get(e.flowId) ?? []), e.id]);
      }
      let replayed = 0;
      for (const [flowId, flowIds] of byFlow) {
        if (!store.flows.get(flowId)) continue;
        // A replay follows a fix, often to a target's column type: check against the types as they are now.
        await supervisor.rediscover(flowId);
        const n = replayDlqEntries(store, flowId, { ids: flowIds }, Date.now());
        if (n > 0) supervisor.kick(flowId);
        replayed += n;
      }
      return { replayed };
    },
    'dlq.discard': async ({ ids, filter }) => {
      // Kept aside for an undo window (dlq.undoDiscard), then gone.
      const entries = store.dlq.select({ ids, filter });
      const discarded = store.dlqDiscards.discard(
        entries.map((e) => e.id),
        Date.now(),
      );
      // The changes held behind them may apply now.
      for (const flowId of new Set(entries.map((e) => e.flowId))) supervisor.kick(flowId);
      return { discarded };
    },
    'dlq.undoDiscard': async ({ ids }) => {
      const restored = store.dlqDiscards.undo(ids, Date.now());
      const back = new Set(restored);
      return { restored: restored.length, expired: ids.filter((i) => !back.has(i)) };
    },
    'dlq.editReplay': async ({ id, fields }) => {
      const entry = store.dlq.get(id);
      if (!entry) throw new ApiError('not_found', `there is no DLQ entry ${id} (it may have been replayed or discarded)`);
      if (entry.errorClass === 'conflict') throw new ApiError('bad_request', `entry ${id} is a conflict: choose a value (conflicts.resolve) instead of editing it`);
      if (!store.flows.get(entry.flowId)) throw new ApiError('not_found', `the flow "${entry.flowId}" of entry ${id} no longer exists: discard the entry`);
      const event = { ...(entry.event as unknown as ChangeEvent) };
      event.fields = { ...event.fields, ...fields };
      store.dlq.setEvent(id, event);
      const replayed = replayDlqEntries(store, entry.flowId, { ids: [id] }, Date.now());
      if (replayed > 0) supervisor.kick(entry.flowId);
      return { replayed };
    },
  };
}
