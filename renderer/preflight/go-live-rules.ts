import type { PreflightResult } from '../../shared/api/contract.js';

export const MIN_REASON_LENGTH = 10;

export type GoLiveState = { enabled: true; override: boolean } | { enabled: false; why: string };

/** "Go live" is enabled when preflight passes, or when the user overrides with a written reason. */
export function goLiveState(preflight: PreflightResult | null, overriding: boolean, reason: string, running: boolean): GoLiveState {
  if (running) return { enabled: false, why: 'the flow is already live' };
  if (!preflight) return { enabled: false, why: 'run the preflight checks first' };
  if (preflight.ok) return { enabled: true, override: false };
  if (!overriding) return { enabled: false, why: `${failedCount(preflight)} check${failedCount(preflight) === 1 ? '' : 's'} fail: fix them, or override with a reason` };
  if (reason.trim().length < MIN_REASON_LENGTH) return { enabled: false, why: `write why it is safe anyway (at least ${MIN_REASON_LENGTH} characters)` };
  return { enabled: true, override: true };
}

export function failedCount(p: PreflightResult): number {
  return p.edges.reduce((n, e) => n + e.checks.filter((c) => !c.ok).length, 0);
}
