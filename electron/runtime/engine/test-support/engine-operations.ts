import type { FlowStatus } from '../../../../shared/api/contract.js';
import type { DlqFilter } from '../../../../shared/api/contract.js';
import { resolveConflict, type ConflictChoice } from '../../operations/conflict-resolution.js';
import { replayDlqEntries } from '../../operations/dlq-replay.js';
import { flowStatus } from '../../operations/flow-status.js';
import type { FlowEngine } from '../flow-engine.js';

/** The operations the runtime's handlers run on a live flow, for tests that drive one engine. */
export const statusOf = (engine: FlowEngine): FlowStatus => flowStatus(engine.store, engine.flow, engine.liveState());

export function replayOn(engine: FlowEngine, sel: { ids?: number[]; filter?: DlqFilter }): number {
  const n = replayDlqEntries(engine.store, engine.flowId, sel, engine.liveState().now);
  if (n > 0) engine.kick();
  return n;
}

export function resolveOn(engine: FlowEngine, dlqId: number, choice: ConflictChoice): Promise<void> {
  const live = engine.liveState();
  return resolveConflict({ store: engine.store, flow: engine.flow, connectors: live.connectors, tagsWrites: live.tagsWrites, now: live.now }, dlqId, choice);
}
