import { runHistoryPreview } from '../../operations/history-preview.js';
import { matchSamples } from '../../operations/matching-samples.js';
import { compareRecord, runPreview } from '../../preview-runner.js';
import { ApiError } from '../handlers.js';
import { loadTokenKeys } from '../../masking/token-keys.js';
import type { HandlerContext, HandlerGroup } from './context.js';
import { candidateFlow } from './flows.js';

/** What a flow would do, read from the real systems with nothing written: previews and the matching report. */
export function previewHandlers(ctx: HandlerContext): HandlerGroup<'preview.run' | 'records.compare' | 'preview.history' | 'matching.report'> {
  const { workspace, supervisor } = ctx;
  const { store } = workspace;
  return {
    'preview.run': async ({ flowId, syncId, limit, direction }) => {
      const flow = workspace.flow(flowId);
      const sync = flow.syncs.find((s) => s.id === syncId);
      const ids = sync ? [sync.a.system, sync.b.system] : [];
      // A missing token key is not an error here: the preview shows it on the rows it affects.
      const tokenKeys = await loadTokenKeys(flow, workspace.secrets).catch(() => new Map<string, Uint8Array>());
      return supervisor.withSystems(flowId, ids, (systems) => runPreview(flow, syncId, limit, store, systems, { direction, transformContext: { tokenKeys } }));
    },
    'records.compare': async ({ flowId, syncId, side, key }) => {
      const flow = workspace.flow(flowId);
      const sync = flow.syncs.find((s) => s.id === syncId);
      const ids = sync ? [sync.a.system, sync.b.system] : [];
      return supervisor.withSystems(flowId, ids, (systems) => compareRecord(flow, syncId, side, key, store, systems));
    },
    'preview.history': async ({ flowId, syncId, flow, limit }) => {
      const candidate = candidateFlow(ctx, flow, flowId);
      const sync = candidate.syncs.find((s) => s.id === syncId);
      if (!sync) throw new ApiError('not_found', `flow "${flowId}" has no sync "${syncId}": use one of ${candidate.syncs.map((s) => `"${s.id}"`).join(', ')}`);
      supervisor.flushHistory(flowId);
      const history = store.history.list(flowId, syncId, limit);
      const tokenKeys = await loadTokenKeys(candidate, workspace.secrets).catch(() => new Map<string, Uint8Array>());
      return supervisor.withFlowSystems(candidate, [sync.a.system, sync.b.system], (systems) => runHistoryPreview(candidate, syncId, history, store, systems, Date.now(), { tokenKeys }));
    },
    'matching.report': async ({ flowId, syncId, limit }) => {
      const flow = workspace.flow(flowId);
      const sync = flow.syncs.find((s) => s.id === syncId);
      if (!sync) throw new ApiError('not_found', `flow "${flowId}" has no sync "${syncId}": use one of ${flow.syncs.map((s) => `"${s.id}"`).join(', ')}`);
      return supervisor.withSystems(flowId, [sync.a.system, sync.b.system], (systems) => matchSamples(store, flowId, sync, systems, limit));
    },
  };
}
