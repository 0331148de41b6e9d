import { ConflictResolutionError, resolveConflict } from '../../operations/conflict-resolution.js';
import { ApiError } from '../handlers.js';
import { loadTokenKeys } from '../../masking/token-keys.js';
import type { HandlerContext, HandlerGroup } from './context.js';

/** The review queue: settle a conflict by choosing a value, written to both sides. */
export function conflictHandlers({ workspace, supervisor }: HandlerContext): HandlerGroup<'conflicts.resolve'> {
  const { store } = workspace;
  return {
    'conflicts.resolve': async ({ id, keep, value }) => {
      const entry = store.dlq.get(id);
      if (!entry) throw new ApiError('not_found', `there is no conflict ${id} (it may have been resolved already)`);
      if (entry.errorClass !== 'conflict') throw new ApiError('bad_request', `entry ${id} is a ${entry.errorClass} error, not a conflict: replay or discard it instead`);
      const flow = workspace.flow(entry.flowId);
      const sync = flow.syncs.find((s) => s.id === entry.syncId);
      const choice = keep !== undefined ? { keep } : { value };
      try {
        // A running flow's connectors and echo tracking; else the sync's two systems opened for this.
        await supervisor.withSystems(entry.flowId, sync ? [sync.a.system, sync.b.system] : [], async (systems, current) => {
          const live = supervisor.live(entry.flowId);
          const connectors = live?.connectors ?? new Map([...systems].map(([k, o]) => [k, o.connector]));
          await resolveConflict({ store, flow: current, connectors, ...(live ? { tagsWrites: live.tagsWrites } : {}), transformContext: live?.transformContext ?? { tokenKeys: await loadTokenKeys(current, workspace.secrets) }, now: Date.now() }, id, choice);
        });
      } catch (e) {
        if (e instanceof ConflictResolutionError) throw new ApiError('conflict', e.message);
        throw e;
      }
      return { ok: true };
    },
  };
}
