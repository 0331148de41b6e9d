import type { FlowStatus } from '../../../shared/api/contract.js';
import { METHOD_ACCESS } from '../../../shared/api/roles.js';
import { createApiHandlers } from '../api/handlers/index.js';
import { dispatchApiCall } from '../api/dispatch.js';
import { ApiError } from '../api/handlers.js';
import { httpApiCaller, type ApiCaller } from '../api/http-client.js';
import { readRuntimeEndpoint } from '../api/runtime-endpoint.js';
import { lockedBy, WorkspaceLockedError } from '../workspace-lock.js';
import { FlowSupervisor } from './flow-supervisor.js';
import { Workspace, type Logger } from './workspace.js';

export interface WorkspaceApi {
  call: ApiCaller;
  /**
   * runtime: the runtime holding the workspace answered over its local API.
   * workspace: no runtime holds it; this process ran the same handlers on it (under the lock for a write).
   * read-only: a runtime holds it and serves no API (the desktop app); only reads.
   */
  via: 'runtime' | 'workspace' | 'read-only';
  /** The pid of the runtime holding the workspace, if one does. */
  runtimePid: number | null;
  close(): Promise<void>;
}

/**
 * How a command outside the runtime reaches a workspace's API, so that every operation has one
 * implementation and one writer: through the runtime that holds the workspace when there is one
 * (its own caches stay true), else through the handlers over the workspace opened here under its
 * lock. Writing behind a runtime that serves no API is refused with what to do instead.
 */
export async function connectWorkspaceApi(workspaceDir: string, opts: { write: boolean; log?: Logger }): Promise<WorkspaceApi> {
  const holder = lockedBy(workspaceDir);
  if (holder !== null && holder !== process.pid) {
    const endpoint = readRuntimeEndpoint(workspaceDir, holder);
    if (endpoint) return { call: httpApiCaller(endpoint.url, endpoint.token), via: 'runtime', runtimePid: holder, close: async () => {} };
    if (opts.write) {
      throw new WorkspaceLockedError(
        `a SyncCanvas runtime (pid ${holder}) holds the workspace ${workspaceDir} and serves no local API to send this through (the desktop app): do it in the app, or stop that runtime and run the command again, or run the workspace with \`synccanvas serve\``,
      );
    }
    const workspace = await Workspace.open({ workspaceDir, lock: false, ...(opts.log ? { log: opts.log } : {}) });
    return local(workspace, 'read-only', holder, true);
  }
  // A read takes no lock: a status check every minute must never keep a runtime from starting.
  const workspace = await Workspace.open({ workspaceDir, lock: opts.write, ...(opts.log ? { log: opts.log } : {}) });
  return local(workspace, 'workspace', null, !opts.write);
}

function local(workspace: Workspace, via: 'workspace' | 'read-only', runtimePid: number | null, readOnly: boolean): WorkspaceApi {
  // No flow is started here: operations that need a system open its connectors for the call.
  const supervisor = new FlowSupervisor(workspace);
  const handlers = createApiHandlers({ workspace, supervisor, demo: false, notify: () => {} });
  const call: ApiCaller = async (method, input) => {
    if (readOnly && METHOD_ACCESS[method].mutates) {
      // A caller bug, not a user error: writes ask for a writable connection.
      throw new Error(`${method} changes the workspace ${workspace.dir}, which was opened to read only${runtimePid !== null ? ` beside the runtime (pid ${runtimePid})` : ''}`);
    }
    // Validated exactly as over HTTP and IPC, so defaults and errors are the same; an unexpected
    // error (a missing data key, a bug) reaches the command whole instead of as "internal error".
    let unexpected: { error: unknown } | null = null;
    const result = await dispatchApiCall(handlers, method, input, { logError: (_m, error) => void (unexpected = { error }) });
    if (unexpected) throw (unexpected as { error: unknown }).error;
    if (!result.ok) throw new ApiError(result.error.code, result.error.message, result.error.issues);
    // Beside a runtime that serves no API, the flows it runs are the ones it marked running.
    if (via === 'read-only' && method === 'status.get') {
      return (result.value as FlowStatus[]).map((s) => ({ ...s, running: workspace.store.flows.get(s.flowId)?.running ?? false })) as never;
    }
    return result.value as never;
  };
  return {
    call,
    via,
    runtimePid,
    close: async () => {
      await supervisor.stopAll(0);
      workspace.close();
    },
  };
}
