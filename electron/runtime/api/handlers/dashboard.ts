import path from 'node:path';
import { ApiError } from '../handlers.js';
import type { HandlerContext, HandlerGroup } from './context.js';
import pkg from '../../../../package.json' with { type: 'json' };

/** The workspace, flow status, metrics and alert thresholds: what the dashboard shows. */
export function dashboardHandlers({ workspace, supervisor, demo }: HandlerContext): HandlerGroup<'workspace.info' | 'status.get' | 'metrics.series' | 'alerts.get' | 'alerts.set'> {
  const { store } = workspace;
  return {
    'workspace.info': async () => ({
      name: demo ? 'Demo workspace' : path.basename(workspace.dir),
      path: workspace.dir,
      demo,
      version: pkg.version,
      keychain: await workspace.secrets.status(),
    }),
    'status.get': async ({ flowId }) => (flowId ? [supervisor.status(flowId)] : store.flows.list().map((f) => supervisor.status(f.flow.id))),
    'metrics.series': async ({ flowId, syncId, direction, sinceMs }) => store.metrics.series(flowId, syncId, direction, Date.now() - sinceMs),
    'alerts.get': async ({ flowId }) => {
      workspace.flow(flowId);
      return store.alerts.list(flowId);
    },
    'alerts.set': async ({ flowId, syncId, thresholds }) => {
      const flow = workspace.flow(flowId);
      if (!flow.syncs.some((s) => s.id === syncId)) throw new ApiError('not_found', `flow "${flowId}" has no sync "${syncId}": use one of ${flow.syncs.map((s) => `"${s.id}"`).join(', ')}`);
      store.alerts.set(flowId, syncId, thresholds, Date.now());
      return { ok: true };
    },
  };
}
