import type { DirectionKey } from '../../../shared/api/contract.js';
import type { ChangeEvent } from '../../../shared/events.js';
import { HISTORY_PER_EDGE } from '../store/edge-history.js';
import type { Store } from '../store/store.js';

/**
 * Applied events not yet written to the edge history (what-if previews), per edge direction. They
 * are written at most once per metrics bucket: an insert and a trim per batch cost as much as the
 * rest of a small batch's commit, and a crash loses only previews' last second, never data.
 */
export class AppliedHistory {
  private readonly pending = new Map<string, ChangeEvent[]>();

  get size(): number {
    return this.pending.size;
  }

  add(syncId: string, direction: DirectionKey, event: ChangeEvent): void {
    const k = `${syncId}|${direction}`;
    const recent = this.pending.get(k);
    if (recent) recent.push(event);
    else this.pending.set(k, [event]);
  }

  /** Keep no more per edge than the history holds anyway. */
  trim(): void {
    for (const list of this.pending.values()) if (list.length > HISTORY_PER_EDGE) list.splice(0, list.length - HISTORY_PER_EDGE);
  }

  /** Write what is held to the store (inside the caller's transaction) and forget it. */
  write(store: Store, flowId: string, now: number): void {
    for (const [k, events] of this.pending) {
      const [syncId, direction] = k.split('|') as [string, DirectionKey];
      store.history.record(flowId, syncId, direction, events, now);
    }
    this.pending.clear();
  }
}
