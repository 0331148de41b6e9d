import type { UnreachableStatus } from '../../shared/api/contract.js';
import { unreachableText } from '../../shared/unreachable.js';
import { useNow } from '../state/use-now.js';

/**
 * "Demo Billing unreachable since 12:01 — retrying in 20 s", counting down each second. Its own
 * component so that only an edge with an outage runs a timer.
 */
export function UnreachableNote({ outages, detail = false, className, testId }: { outages: readonly UnreachableStatus[]; detail?: boolean; className: string; testId: string }) {
  const now = useNow(1000);
  if (outages.length === 0) return null;
  return (
    <span className={className} role="status" data-testid={testId}>
      {outages.map((o) => (
        <span key={o.systemId} className={`${className}__line`} title={o.message}>
          {unreachableText(o.name, o, now)}
          {detail ? `: ${o.message}` : ''}
        </span>
      ))}
    </span>
  );
}
