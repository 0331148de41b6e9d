import type { ApiMethod } from './contract.js';

/**
 * Who may call what on a shared runtime (`synccanvas serve` for a team). Roles are ordered: each
 * includes the ones before it. The desktop app is one person, the local admin.
 *   viewer   — status, dashboards, the DLQ (read)
 *   operator — replay, discard, resolve; start and stop flows
 *   editor   — flows, preview, preflight and go-live, connections
 *   admin    — secrets, users, the audit log
 */
export const ROLES = ['viewer', 'operator', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface MethodAccess {
  role: Role;
  /** Changes state: every call is written to the audit log, with who made it. */
  mutates: boolean;
}

const read = (role: Role): MethodAccess => ({ role, mutates: false });
const write = (role: Role): MethodAccess => ({ role, mutates: true });

/** Every API method's minimum role; a Record, so a new method does not compile until it has one. */
export const METHOD_ACCESS: Record<ApiMethod, MethodAccess> = {
  'workspace.info': read('viewer'),
  'flows.list': read('viewer'),
  'flows.get': read('viewer'),
  'status.get': read('viewer'),
  'metrics.series': read('viewer'),
  'dlq.list': read('viewer'),
  'dlq.get': read('viewer'),
  'flows.goLiveLog': read('viewer'),
  'alerts.get': read('viewer'),
  'connectors.list': read('viewer'),
  'secrets.status': read('viewer'),
  'dlq.replay': write('operator'),
  'dlq.discard': write('operator'),
  'dlq.undoDiscard': write('operator'),
  'dlq.editReplay': write('operator'),
  'conflicts.resolve': write('operator'),
  'flows.start': write('operator'),
  'flows.stop': write('operator'),
  'flows.save': write('editor'),
  'flows.delete': write('editor'),
  'flows.goLive': write('editor'),
  'alerts.set': write('editor'),
  'flows.validate': read('editor'),
  'preview.run': read('editor'),
  'preview.history': read('editor'),
  'records.compare': read('editor'),
  'preflight.run': read('editor'),
  'matching.report': read('editor'),
  'connectors.test': read('editor'),
  'connectors.discover': read('editor'),
  'connectors.testDraft': read('editor'),
  'connectors.discoverDraft': read('editor'),
  'connectors.choicesDraft': read('editor'),
  'files.browse': read('editor'),
  'files.resolve': read('editor'),
  'connectors.restSample': read('editor'),
  'ai.suggestClasses': read('editor'),
  'secrets.set': write('admin'),
  'audit.list': read('admin'),
};

export function roleAllows(role: Role, method: ApiMethod): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(METHOD_ACCESS[method].role);
}
