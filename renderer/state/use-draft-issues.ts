import { useMemo } from 'react';
import { parseFlowDocument } from '../../shared/flow/validate.js';
import { issueTargets, type IssueTargets } from '../editor/issue-targets.js';
import { useApp } from './store-context.js';

/** The draft's validation problems (local schema check plus the runtime's last answer), per element. */
export function useDraftIssues(): IssueTargets {
  const flow = useApp((s) => s.flow);
  const saveIssues = useApp((s) => s.saveIssues);
  return useMemo(() => {
    if (!flow) return { flow: [], systems: {}, syncs: {} };
    const local = parseFlowDocument(flow);
    const issues = [...(local.ok ? [] : local.issues), ...saveIssues];
    const seen = new Set<string>();
    return issueTargets(
      flow,
      issues.filter((i) => {
        const key = `${i.path}\u0000${i.message}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      }),
    );
  }, [flow, saveIssues]);
}
