import type { RuntimeEvent } from '../../shared/api/contract.js';
import type { ApiHandlers } from './api/handlers.js';
import { createApiHandlers } from './api/handlers/index.js';
import { ensureDemoSystems } from './demo/demo-systems.js';
import { DEMO_FLOW } from './demo/demo-flow.js';
import { startSimulator, type Simulator } from './demo/simulator.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { Store } from './store/store.js';
import { FlowSupervisor } from './workspace/flow-supervisor.js';
import { Workspace, type Logger } from './workspace/workspace.js';

export type { LogLevel, Logger } from './workspace/workspace.js';

export interface RuntimeOptions {
  workspaceDir: string;
  /** Open the demo workspace: two local SQLite systems, the demo flow, and a change simulator. */
  demo?: boolean | { ratePerSec?: number; simulate?: boolean };
  secrets?: SecretStore;
  log?: Logger;
  /** Start flows that were running when the workspace was last closed (default true). */
  resume?: boolean;
  /** The most changes a flow's inbox holds before capture slows down (FlowEngine's maxInboxRows). */
  inboxLimit?: number;
  /** How long applied customer values are kept (store/retention.ts; default 7 days). */
  retentionMs?: number;
}

export interface Runtime {
  readonly workspaceDir: string;
  readonly store: Store;
  readonly api: ApiHandlers;
  subscribe(listener: (e: RuntimeEvent) => void): () => void;
  /** Stop every flow (in-flight batches finish, ready changes are applied for up to `drainMs`; the rest stays in the inbox) and close the workspace. */
  close(opts?: { drainMs?: number }): Promise<void>;
}

/**
 * Opens a workspace, resumes its flows and serves the API over it (api/handlers/). One runtime per
 * workspace: the Workspace holds the lock file.
 */
export async function openRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const log: Logger = opts.log ?? (() => {});
  const workspace = await Workspace.open({ workspaceDir: opts.workspaceDir, ...(opts.secrets ? { secrets: opts.secrets } : {}), log, create: true });
  const { store } = workspace;
  const supervisor = new FlowSupervisor(workspace, {
    ...(opts.inboxLimit !== undefined ? { inboxLimit: opts.inboxLimit } : {}),
    ...(opts.retentionMs !== undefined ? { retentionMs: opts.retentionMs } : {}),
  });
  const listeners = new Set<(e: RuntimeEvent) => void>();
  let pushTimer: NodeJS.Timeout | null = null;
  let simulator: Simulator | null = null;
  let closed = false;
  const demo = opts.demo ? { ratePerSec: 2, simulate: true, ...(typeof opts.demo === 'object' ? opts.demo : {}) } : null;

  const emit = (e: RuntimeEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        log('warn', `event listener failed: ${(err as Error).message}`);
      }
    }
  };

  const api = createApiHandlers({ workspace, supervisor, demo: demo !== null, notify: emit });

  const pushStatus = () => {
    if (listeners.size === 0 || closed) return;
    try {
      emit({ type: 'status', flows: store.flows.list().map((f) => supervisor.status(f.flow.id)) });
    } catch (e) {
      log('warn', `status push failed: ${(e as Error).message}`);
    }
  };

  // Demo workspace: local systems, the demo flow, a simulator making realistic changes.
  if (demo) {
    ensureDemoSystems(workspace.dataDir);
    if (!store.flows.get(DEMO_FLOW.id)) {
      store.flows.save(DEMO_FLOW, Date.now());
      store.flows.setRunning(DEMO_FLOW.id, true);
    }
  }
  if (opts.resume ?? true) {
    for (const f of store.flows.list()) {
      if (!f.running) continue;
      try {
        await supervisor.start(f.flow.id);
      } catch (e) {
        log('error', `flow ${f.flow.id} could not start: ${(e as Error).message}`);
        emit({ type: 'notice', level: 'error', message: `Flow "${f.flow.name}" could not start: ${(e as Error).message}` });
      }
    }
  }
  if (demo?.simulate) simulator = startSimulator({ dir: workspace.dataDir, ratePerSec: demo.ratePerSec });

  return {
    workspaceDir: workspace.dir,
    store,
    api,
    subscribe(listener) {
      listeners.add(listener);
      if (!pushTimer) {
        pushTimer = setInterval(pushStatus, 1000);
        pushTimer.unref?.();
      }
      queueMicrotask(pushStatus);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && pushTimer) {
          clearInterval(pushTimer);
          pushTimer = null;
        }
      };
    },
    async close(closeOpts = {}) {
      if (closed) return;
      closed = true;
      if (pushTimer) clearInterval(pushTimer);
      await simulator?.stop();
      await supervisor.stopAll(closeOpts.drainMs ?? 2000);
      workspace.close();
    },
  };
}
