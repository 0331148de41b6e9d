import type { ChangeEvent } from '../../../shared/events.js';
import type { ErrorClass } from '../../../shared/errors.js';
import type { InboxRow } from '../store/inbox.js';
import type { EngineContext } from './engine-context.js';
import { targetSide } from './sides.js';

export interface DeadLetter {
  errorClass: ErrorClass;
  message: string;
  /** A snippet of the target's answer, when it gave one. */
  response: string | null;
  /** The mapped values that were (or would have been) written. */
  payload: Record<string, unknown> | null;
  attempts?: number;
  detail?: Record<string, unknown>;
}

/** Park a change in the DLQ at its inbox position (so it keeps holding its record's later changes). */
export function deadLetter(ctx: EngineContext, row: InboxRow, event: ChangeEvent, failure: DeadLetter, now: number): void {
  const sync = ctx.syncs.get(row.syncId);
  const t = targetSide(row.direction);
  const entry = {
    flowId: ctx.flowId,
    syncId: row.syncId,
    direction: row.direction,
    event,
    sourceSystem: event.system,
    targetSystem: sync ? sync[t].system : '(removed)',
    errorClass: failure.errorClass,
    message: failure.message,
    response: failure.response,
    attempts: failure.attempts ?? 1,
    firstFailedAt: row.firstFailedAt ?? now,
    lastFailedAt: now,
    payload: failure.payload,
    inboxSeq: row.seq,
  };
  ctx.store.dlq.add(failure.detail ? { ...entry, detail: failure.detail } : entry);
}
