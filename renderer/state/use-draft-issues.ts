import { useDeferredValue, useMemo } from 'react';
import type { FlowDocument } from '../../shared/flow/schema.js';
import { parseFlowDocument, type ValidationIssue } from '../../shared/flow/validate.js';
import { issueTargets, withoutSyncs, type IssueTargets } from '../editor/issue-targets.js';
import { useApp } from './store-context.js';

// A large flow takes a while to validate; each document version is validated once for all callers.
const schemaIssues = new WeakMap<FlowDocument, ValidationIssue[]>();
function issuesOf(flow: FlowDocument): ValidationIssue[] {
  let issues = schemaIssues.get(flow);
  if (!issues) {
    const parsed = parseFlowDocument(flow);
    issues = parsed.ok ? [] : parsed.issues;
    schemaIssues.set(flow, issues);
  }
  return issues;
}

/**
 * The draft's validation problems (local schema check plus the runtime's last answer), per element.
 * Deferred: a drag or a keystroke renders first, the check follows when the browser is free.
 */
export function useDraftIssues(): IssueTargets {
  const flow = useDeferredValue(useApp((s) => s.flow));
  const saveIssues = useApp((s) => s.saveIssues);
  const untouched = useApp((s) => s.untouchedSyncIds);
  return useMemo(() => {
    if (!flow) return { flow: [], systems: {}, syncs: {} };
    const seen = new Set<string>();
    const issues = [...issuesOf(flow), ...saveIssues].filter((i) => {
      const key = `${i.path}\u0000${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return withoutSyncs(issueTargets(flow, issues), untouched);
  }, [flow, saveIssues, untouched]);
}
