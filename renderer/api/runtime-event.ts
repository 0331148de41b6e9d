import type { RuntimeEvent } from '../../shared/api/contract.js';

/**
 * Checks the outer shape of an event that crossed a transport, so a malformed push is dropped
 * instead of breaking the UI. The runtime validated the payload when it built it.
 */
export function parseRuntimeEvent(value: unknown): RuntimeEvent | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v.type === 'status' && Array.isArray(v.flows)) {
    const flowsOk = v.flows.every((f) => typeof f === 'object' && f !== null && typeof (f as Record<string, unknown>).flowId === 'string');
    return flowsOk ? (value as RuntimeEvent) : null;
  }
  if (v.type === 'notice' && typeof v.message === 'string' && (v.level === 'info' || v.level === 'warning' || v.level === 'error')) {
    return value as RuntimeEvent;
  }
  return null;
}
