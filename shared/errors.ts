/** Errors are values with a class the DLQ inspector shows and filters on. */
export const ERROR_CLASSES = ['transient', 'permanent', 'conflict', 'validation'] as const;
/**
 * What a failed write or read can be: a DLQ class, or `unavailable` — the system cannot be reached
 * or is not accepting work (network, connection refused, 503). That is about the system, not the
 * record, so it pauses the edge and never puts a change in the DLQ.
 */
export type SyncErrorClass = (typeof ERROR_CLASSES)[number] | 'unavailable';
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface SyncError {
  errorClass: SyncErrorClass;
  message: string;
  /** A short snippet of the target system's response, when there was one. */
  response?: string;
  /** For transient and unavailable errors: how long the target asked us to wait (e.g. HTTP Retry-After). */
  retryAfterMs?: number;
}

export function syncError(errorClass: SyncErrorClass, message: string, extra: Omit<SyncError, 'errorClass' | 'message'> = {}): SyncError {
  return { errorClass, message, ...extra };
}
