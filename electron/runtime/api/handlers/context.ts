import type { RuntimeEvent } from '../../../../shared/api/contract.js';
import type { FlowSupervisor } from '../../workspace/flow-supervisor.js';
import type { Workspace } from '../../workspace/workspace.js';
import type { ApiHandlers } from '../handlers.js';

/** What every group of handlers works over: one open workspace and the supervisor of its flows. */
export interface HandlerContext {
  workspace: Workspace;
  supervisor: FlowSupervisor;
  /** The demo workspace (local SQLite systems and a change simulator). */
  demo: boolean;
  /** A notice for whoever listens (the app's banner); the CLI has nobody listening. */
  notify(event: RuntimeEvent): void;
}

/** The handlers of one area of the API. */
export type HandlerGroup<M extends keyof ApiHandlers> = Pick<ApiHandlers, M>;
