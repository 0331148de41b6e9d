import type { DlqFilter } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import type { Store } from '../store/store.js';
import { UNREADABLE_MESSAGE } from '../engine/capture-commit.js';

/**
 * Put dead-lettered changes of one flow back into its inbox; they are decided again with the
 * current mapping. Each goes back to its old inbox position, so it applies before the later changes
 * of its record that waited behind it. Conflicts are skipped: they are settled by choosing a value
 * (operations/conflict-resolution.ts), and a replay would only drop them. Returns how many went
 * back; a running engine should be kicked when any did.
 */
export function replayDlqEntries(store: Store, flowId: string, sel: { ids?: number[]; filter?: DlqFilter }, now: number): number {
  const entries = store.dlq.select({ ids: sel.ids, filter: { ...(sel.filter ?? {}), flowId } });
  let n = 0;
  store.transaction(() => {
    for (const e of entries) {
      if (e.errorClass === 'conflict') continue;
      // An unreadable queue message holds no change: it is fixed at the publisher and sent again, then discarded here.
      if ((e.detail as { kind?: unknown } | null)?.kind === UNREADABLE_MESSAGE) continue;
      if (!store.dlq.remove(e.id)) continue;
      const event = e.event as unknown as ChangeEvent;
      store.inbox.add(flowId, event, { syncId: e.syncId, direction: e.direction, notBefore: now }, true, e.inboxSeq ?? undefined);
      n++;
    }
  });
  return n;
}
