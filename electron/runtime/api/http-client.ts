import { HTTP_CALL_PREFIX, type ApiMethod, type ApiOutputs } from '../../../shared/api/contract.js';
import { ApiError } from './handlers.js';

export type ApiCaller = <M extends ApiMethod>(method: M, input: unknown) => Promise<ApiOutputs[M]>;

const ErrorCodes = new Set(['bad_request', 'not_found', 'unauthorized', 'forbidden', 'conflict', 'unavailable', 'internal']);

/**
 * Calls a runtime's local HTTP API (POST /api/call/<method> with the bearer token); its errors come
 * back as the ApiError the handler threw, so a caller cannot tell a remote call from a local one.
 */
export function httpApiCaller(baseUrl: string, token: string, opts: { timeoutMs?: number } = {}): ApiCaller {
  return async <M extends ApiMethod>(method: M, input: unknown): Promise<ApiOutputs[M]> => {
    let res: Response;
    try {
      res = await fetch(new URL(`${HTTP_CALL_PREFIX}${encodeURIComponent(method)}`, baseUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
      });
    } catch (e) {
      throw new ApiError('unavailable', `the runtime serving this workspace at ${baseUrl} did not answer (${(e as Error).message}): is it still running?`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      throw new ApiError('internal', `the runtime at ${baseUrl} answered ${method} with something that is not JSON (HTTP ${res.status})`);
    }
    if (res.ok) return body as ApiOutputs[M];
    const error = (body as { error?: { code?: unknown; message?: unknown; issues?: { path: string; message: string }[] } } | null)?.error;
    const code = typeof error?.code === 'string' && ErrorCodes.has(error.code) ? (error.code as ApiError['code']) : 'internal';
    throw new ApiError(code, typeof error?.message === 'string' ? error.message : `${method} failed with HTTP ${res.status}`, error?.issues);
  };
}
