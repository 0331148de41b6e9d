import type { ValidationIssue } from '../../shared/flow/validate.js';

/** Problems shown right under the control they are about. */
export function IssueList({ issues, id }: { issues: ValidationIssue[]; id?: string }) {
  if (issues.length === 0) return null;
  return (
    <ul className="issue-list" id={id} role="list">
      {issues.map((i) => (
        <li key={`${i.path}:${i.message}`} className="issue-list__item">
          {i.message}
        </li>
      ))}
    </ul>
  );
}
