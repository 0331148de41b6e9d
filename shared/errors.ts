/** Errors are values with a class the DLQ inspector shows and filters on. */
export const ERROR_CLASSES = ['transient', 'permanent', 'conflict', 'validation'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

export interface SyncError {
  errorClass: ErrorClass;
  message: string;
  /** A short snippet of the target system's response, when there was one. */
  response?: string;
  /** For transient errors: how long the target asked us to wait (e.g. HTTP Retry-After). */
  retryAfterMs?: number;
}

export function syncError(errorClass: ErrorClass, message: string, extra: Omit<SyncError, 'errorClass' | 'message'> = {}): SyncError {
  return { errorClass, message, ...extra };
}
