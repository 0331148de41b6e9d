import type { ApiHandlers } from '../handlers.js';
import { auditHandlers } from './audit.js';
import { conflictHandlers } from './conflicts.js';
import { connectorHandlers } from './connectors.js';
import type { HandlerContext } from './context.js';
import { dashboardHandlers } from './dashboard.js';
import { dlqHandlers } from './dlq.js';
import { flowHandlers } from './flows.js';
import { fileHandlers } from '../../files/file-handlers.js';
import { previewHandlers } from './preview.js';
import { secretHandlers } from './secrets.js';

export type { HandlerContext } from './context.js';

/**
 * Every API method, grouped by area. The one implementation behind the app's IPC bridge, the local
 * HTTP API and the CLI (api/dispatch.ts validates input first); the type makes a missing method a
 * compile error.
 */
export function createApiHandlers(ctx: HandlerContext): ApiHandlers {
  return {
    ...dashboardHandlers(ctx),
    ...flowHandlers(ctx),
    ...previewHandlers(ctx),
    ...dlqHandlers(ctx),
    ...conflictHandlers(ctx),
    ...connectorHandlers(ctx),
    ...secretHandlers(ctx),
    ...auditHandlers(ctx),
    ...fileHandlers({ workspaceDir: ctx.workspace.dir, dataDir: ctx.workspace.dataDir }),
  };
}
