import { unreachableText } from '../../../shared/unreachable.js';
import type { SyncError } from '../../../shared/errors.js';
import type { WriteOp, WriteResult } from '../connectors/types.js';
import type { EngineContext } from './engine-context.js';
import type { PlannedChange } from './planned-change.js';

/**
 * Make a batch's writes: one `Connector.write` call per target (system, entity), targets in
 * parallel. Each planned change gets its op's and its revert's result; a call that throws fails all
 * of its ops with that error. Every group's outcome is booked on its system's circuit breaker.
 */
export async function writeBatch(ctx: EngineContext, planned: readonly PlannedChange[]): Promise<void> {
  const groups = new Map<string, { system: string; entity: string; ops: WriteOp[]; sinks: ((r: WriteResult) => void)[] }>();
  const add = (system: string, entity: string, op: WriteOp, sink: (r: WriteResult) => void) => {
    const k = `${system}\u0000${entity}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { system, entity, ops: [], sinks: [] }));
    g.ops.push(op);
    g.sinks.push(sink);
  };
  for (const p of planned) {
    // Already failed before writing (its match could not be read): nothing of it is written.
    if (p.decision.kind !== 'write' || p.opResult) continue;
    if (p.decision.op) add(p.targetSystem, p.targetEntity, p.decision.op, (r) => (p.opResult = r));
    if (p.decision.revert) add(p.sourceSystem, p.sourceEntity, p.decision.revert, (r) => (p.revertResult = r));
  }
  await Promise.all(
    [...groups.values()].map(async (g) => {
      const connector = ctx.connectors.get(g.system);
      let results: WriteResult[];
      if (!connector) {
        results = g.ops.map(() => ({ ok: false, error: { errorClass: 'permanent', message: `system "${g.system}" has no connector: check the flow` } }) as WriteResult);
      } else {
        try {
          results = await connector.write(g.entity, g.ops, ctx.runtimeOrigin);
          if (results.length !== g.ops.length) throw new Error(`connector returned ${results.length} results for ${g.ops.length} writes`);
        } catch (e) {
          results = g.ops.map(() => ({ ok: false, error: thrownError(e) }) as WriteResult);
        }
      }
      if (connector) noteAvailability(ctx, g.system, results);
      const done = ctx.clock.now();
      results.forEach((r, i) => g.sinks[i]!(r));
      for (const p of planned) if (p.finishedAt === undefined && (p.opResult || p.revertResult)) p.finishedAt = done;
    }),
  );
}

/**
 * A connector call that threw, as a write error: transient unless the connector classified it
 * (`errorClass` on the error, or a SyncError as its `error`, as ReadFailure and HttpSyncError carry).
 */
export function thrownError(e: unknown): SyncError {
  const err = e as Error & { errorClass?: SyncError['errorClass']; retryAfterMs?: number; error?: Partial<SyncError> };
  if (err.error && typeof err.error.errorClass === 'string' && typeof err.error.message === 'string') return err.error as SyncError;
  const error: SyncError = { errorClass: err.errorClass ?? 'transient', message: err.message };
  if (err.retryAfterMs !== undefined) error.retryAfterMs = err.retryAfterMs;
  return error;
}

/** Book a write group's outcome on its system's breaker; log the outage's start, each failed probe and its end. */
export function noteAvailability(ctx: EngineContext, system: string, results: readonly WriteResult[]): void {
  const down = results.find((r): r is Extract<WriteResult, { ok: false }> => !r.ok && r.error.errorClass === 'unavailable');
  const now = ctx.clock.now();
  // Some writes landing while others hit a 429/503 is still a system asking us to back off.
  if (down) {
    const outage = ctx.breakers.failed(system, now, down.error.message, down.error.retryAfterMs);
    const text = unreachableText(ctx.systemName(system), outage, now);
    if (outage.failures === 1) ctx.notice(`${text}: ${down.error.message}`);
    else ctx.log('warn', `${text} (probe ${outage.failures - 1} failed: ${down.error.message})`);
    return;
  }
  const over = ctx.breakers.succeeded(system);
  if (over) ctx.notice(`${ctx.systemName(system)} reachable again after ${Math.round((now - over.since) / 1000)} s; applying the ${ctx.store.inbox.pending(ctx.flowId)} waiting changes`);
}
