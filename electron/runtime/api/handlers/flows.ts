import type { FlowDocument } from '../../../../shared/flow/schema.js';
import { parseFlowDocument } from '../../../../shared/flow/validate.js';
import { runPreflight } from '../../operations/preflight-runner.js';
import { ApiError } from '../handlers.js';
import type { HandlerContext, HandlerGroup } from './context.js';

type FlowMethods = 'flows.list' | 'flows.get' | 'flows.save' | 'flows.validate' | 'flows.delete' | 'flows.start' | 'flows.stop' | 'flows.goLive' | 'flows.goLiveLog' | 'preflight.run';

/** A candidate (unsaved) version of a stored flow, validated like a save. */
export function candidateFlow({ workspace }: HandlerContext, input: unknown, flowId: string): FlowDocument {
  if (input === undefined) return workspace.flow(flowId);
  const parsed = parseFlowDocument(input);
  if (!parsed.ok) throw new ApiError('bad_request', `the candidate flow is not valid — ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, parsed.issues);
  if (parsed.flow.id !== flowId) throw new ApiError('bad_request', `the candidate flow has id "${parsed.flow.id}", not "${flowId}": preview a version of the same flow`);
  return parsed.flow;
}

/** Flows: edit, start and stop them, check them before going live. */
export function flowHandlers(ctx: HandlerContext): HandlerGroup<FlowMethods> {
  const { workspace, supervisor } = ctx;
  const { store, log } = workspace;
  const preflight = (flow: FlowDocument) => runPreflight(flow, { store, secrets: workspace.secrets, withSystems: supervisor.withFlowSystems, now: Date.now(), dataDir: workspace.dataDir });
  return {
    'flows.list': async () => [
      ...store.flows.list().map((f) => ({ id: f.flow.id, name: f.flow.name, running: supervisor.isRunning(f.flow.id), updatedAt: f.updatedAt })),
      ...store.flows.unreadable().map((f) => ({ id: f.id, name: f.name, running: false, updatedAt: f.updatedAt, problem: f.problem })),
    ],
    'flows.get': async ({ flowId }) => ({ flow: workspace.flow(flowId) }),
    'flows.save': async ({ flow }) => {
      const parsed = parseFlowDocument(flow);
      if (!parsed.ok) return { ok: false, issues: parsed.issues };
      // Never over a flow this build cannot read (a newer format): that would drop what it cannot see.
      const unreadable = store.flows.unreadable().find((f) => f.id === parsed.flow.id);
      if (unreadable) {
        return { ok: false, issues: [{ path: 'id', message: `the workspace holds a flow "${unreadable.id}" that this build cannot read (${unreadable.problem}); saving would replace it: give this flow another id, or update the app` }] };
      }
      // A running flow picks up the new version by restarting around the save.
      await supervisor.restartAround(parsed.flow.id, () => store.flows.save(parsed.flow, Date.now()));
      return { ok: true, flow: parsed.flow };
    },
    'flows.validate': async ({ flow }) => {
      const parsed = parseFlowDocument(flow);
      return parsed.ok ? { ok: true, issues: [] } : { ok: false, issues: parsed.issues };
    },
    'flows.delete': async ({ flowId }) => {
      const flow = workspace.flow(flowId);
      await supervisor.stop(flowId, false);
      // What capture left on the user's systems (a Postgres replication slot keeps WAL) goes too.
      for (const system of flow.systems) {
        try {
          await workspace.dropCaptureResources(flow, system.id);
        } catch (e) {
          log('warn', `flow ${flowId}: could not clean up capture on "${system.id}" (${(e as Error).message}); remove it by hand (see docs/connectors)`);
          ctx.notify({ type: 'notice', level: 'warning', message: `Could not clean up capture on "${system.name}": ${(e as Error).message}` });
        }
      }
      store.transaction(() => {
        store.flows.delete(flowId);
        store.inbox.clearFlow(flowId);
      });
      return { ok: true };
    },
    'flows.start': async ({ flowId }) => supervisor.start(flowId),
    'flows.stop': async ({ flowId }) => supervisor.stop(flowId),
    'preflight.run': async ({ flowId, flow }) => preflight(candidateFlow(ctx, flow, flowId)),
    'flows.goLive': async ({ flowId, override }) => {
      const result = await preflight(workspace.flow(flowId));
      const failed = result.edges.flatMap((e) => e.checks.filter((c) => !c.ok).map((c) => `${e.name}: ${c.label}`));
      if (failed.length > 0 && !override) {
        throw new ApiError('conflict', `preflight fails (${failed.join('; ')}): fix these, or go live with an override and a written reason`);
      }
      const status = await supervisor.start(flowId);
      const record = store.goLive.add({ flowId, at: Date.now(), override: failed.length > 0, reason: failed.length > 0 ? (override?.reason ?? null) : null, failed });
      if (record.override) log('warn', `flow ${flowId} went live with failing preflight (${failed.join('; ')}); reason: ${record.reason}`);
      return { status, preflight: { ...result, lastGoLive: record }, record };
    },
    'flows.goLiveLog': async ({ flowId }) => {
      workspace.flow(flowId);
      return store.goLive.list(flowId);
    },
  };
}
