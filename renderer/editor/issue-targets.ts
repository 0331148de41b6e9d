import type { ValidationIssue } from '../../shared/flow/validate.js';
import type { FlowDocument } from '../../shared/flow/schema.js';

/** Validation issues sorted onto the element they are about, so each is shown where it is. */
export interface IssueTargets {
  flow: ValidationIssue[];
  systems: Record<string, ValidationIssue[]>;
  syncs: Record<string, ValidationIssue[]>;
}

const ELEMENT = /^(systems|syncs)\[(\d+)\](?:\.(.*))?$/;

export function issueTargets(flow: Pick<FlowDocument, 'systems' | 'syncs'>, issues: ValidationIssue[]): IssueTargets {
  const out: IssueTargets = { flow: [], systems: {}, syncs: {} };
  for (const issue of issues) {
    const m = ELEMENT.exec(issue.path);
    const list = m?.[1] === 'systems' ? flow.systems : m?.[1] === 'syncs' ? flow.syncs : null;
    const element = list?.[Number(m?.[2])];
    if (!m || !element) {
      out.flow.push(issue);
      continue;
    }
    const bucket = m[1] === 'systems' ? out.systems : out.syncs;
    // The path inside the element is what the inspector matches against its own controls.
    (bucket[element.id] ??= []).push({ path: m[3] ?? '', message: issue.message });
  }
  return out;
}

/** The issues whose path starts with `prefix` (e.g. "fields[2]" or "matchKey"). */
export function issuesAt(issues: ValidationIssue[] | undefined, prefix: string): ValidationIssue[] {
  return (issues ?? []).filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`) || i.path.startsWith(`${prefix}[`));
}

/** The same targets without the problems of the given syncs (drawn, not yet edited: see untouchedSyncIds). */
export function withoutSyncs(targets: IssueTargets, hidden: readonly string[]): IssueTargets {
  if (hidden.length === 0) return targets;
  const syncs = { ...targets.syncs };
  for (const id of hidden) delete syncs[id];
  return { ...targets, syncs };
}
