import { ApiInputs, type ApiErrorBody, type ApiMethod } from '../../../shared/api/contract.js';
import { zodIssues } from '../../../shared/flow/validate.js';
import { SecretUnavailableError } from '../secrets/secret-store.js';
import { ApiError, type ApiHandlers } from './handlers.js';

/**
 * The one place every transport (IPC, HTTP) turns an untrusted `{method, input}` into a handler call:
 * the method must be a known API method and the input must parse with its zod schema, otherwise the
 * handler is never called. Errors come back as values with a stable code and a message that says what to fix.
 */
export type CallResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody['error'] };

export type ErrorCode = ApiErrorBody['error']['code'];

export interface DispatchOptions {
  /** Where unexpected errors (bugs) are logged with their stack; the caller only sees a plain message. */
  logError?: (method: string, error: unknown) => void;
}

export function isApiMethod(method: unknown): method is ApiMethod {
  return typeof method === 'string' && Object.hasOwn(ApiInputs, method);
}

export async function dispatchApiCall(handlers: ApiHandlers, method: unknown, input: unknown, options: DispatchOptions = {}): Promise<CallResult> {
  if (!isApiMethod(method)) {
    const shown = typeof method === 'string' ? `"${method.slice(0, 100)}"` : `of type ${method === null ? 'null' : typeof method}`;
    return { ok: false, error: { code: 'not_found', message: `Unknown API method ${shown}. Known methods: ${Object.keys(ApiInputs).join(', ')}.` } };
  }
  const parsed = ApiInputs[method].safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    const detail = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'bad_request', message: `Invalid input for ${method}: ${detail}`, issues } };
  }
  try {
    const handler = handlers[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return { ok: false, error: errorBody(method, error, options) };
  }
}

export function errorBody(method: string, error: unknown, options: DispatchOptions = {}): ApiErrorBody['error'] {
  if (error instanceof ApiError) {
    return error.issues ? { code: error.code, message: error.message, issues: error.issues } : { code: error.code, message: error.message };
  }
  if (error instanceof SecretUnavailableError) return { code: 'unavailable', message: error.message };
  (options.logError ?? defaultLogError)(method, error);
  return { code: 'internal', message: `Internal error in ${method}; the runtime log has the details.` };
}

function defaultLogError(method: string, error: unknown): void {
  console.error(`[synccanvas] ${method} failed:`, error);
}

/** The HTTP status for each stable error code. */
export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};
