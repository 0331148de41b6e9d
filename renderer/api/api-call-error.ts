import type { ApiErrorBody } from '../../shared/api/contract.js';

export type ApiErrorCode = ApiErrorBody['error']['code'];
export type ApiIssue = NonNullable<ApiErrorBody['error']['issues']>[number];

/**
 * What every API call rejects with, whatever the transport: the runtime's stable code and its
 * message (which says what to fix), so the UI can show it as is.
 */
export class ApiCallError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues: ApiIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

const CODES: ReadonlySet<string> = new Set<ApiErrorCode>(['bad_request', 'not_found', 'unauthorized', 'forbidden', 'conflict', 'unavailable', 'internal']);

/** Reads an ApiErrorBody['error'] that crossed a transport; anything malformed becomes `fallback`. */
export function apiCallErrorFrom(value: unknown, fallback: ApiCallError): ApiCallError {
  if (typeof value !== 'object' || value === null) return fallback;
  const { code, message, issues } = value as Record<string, unknown>;
  if (typeof code !== 'string' || !CODES.has(code) || typeof message !== 'string' || message.length === 0) return fallback;
  const validIssues = Array.isArray(issues)
    ? issues.filter((i): i is ApiIssue => typeof i === 'object' && i !== null && typeof (i as ApiIssue).message === 'string')
    : [];
  return new ApiCallError(code as ApiErrorCode, message, validIssues);
}

/** The text to show for any rejection, API or not. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
