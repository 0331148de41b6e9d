import type { HandlerContext, HandlerGroup } from './context.js';

/** Who changed what through the API (written by the HTTP server, read here). */
export function auditHandlers({ workspace }: HandlerContext): HandlerGroup<'audit.list'> {
  return {
    'audit.list': async ({ limit, offset }) => workspace.store.audit.list(limit, offset),
  };
}
