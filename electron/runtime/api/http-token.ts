import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh bearer token for the local HTTP API: 256 random bits, URL-safe so it fits in `#token=`. */
export function createApiToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes both sides the same length so length leaks nothing either. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
