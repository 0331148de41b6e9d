import { syncError } from '../../../../shared/errors.js';
import { parseLosslessJson } from '../../values/lossless-json.js';
import type { Authenticator } from './auth.js';
import { errorForException, errorForResponse, HttpSyncError, type HttpClient, type HttpRequest, type HttpResponse } from './http-client.js';

export interface CallOptions {
  /** Extra attempts for transient failures (429, 5xx, network), waiting as the server asks. Writes pass 0: the engine retries them. */
  retries?: number;
  signal?: AbortSignal;
}

export interface ApiResponse extends HttpResponse {
  json: unknown;
}

const MAX_WAIT_MS = 30_000;

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });
}

/**
 * One authenticated API call: auth headers/query, the definition's default headers, one retry
 * with a fresh OAuth token after a 401, and (for reads) bounded retries of transient failures
 * honouring Retry-After. Failures are thrown as HttpSyncError with their class.
 */
export class ApiCaller {
  constructor(
    readonly http: HttpClient,
    private readonly auth: Authenticator,
    private readonly defaultHeaders: Record<string, string>,
  ) {}

  async call(req: HttpRequest, what: string, opts: CallOptions = {}): Promise<ApiResponse> {
    let attempt = 0;
    let reauthed = false;
    for (;;) {
      const parts = await this.auth.parts();
      let res: HttpResponse;
      try {
        res = await this.http.send({
          ...req,
          ...(opts.signal ? { signal: opts.signal } : {}),
          headers: { accept: 'application/json', ...this.defaultHeaders, ...parts.headers, ...req.headers },
          query: { ...req.query, ...parts.query },
        });
      } catch (e) {
        if (e instanceof HttpSyncError) throw e;
        const err = errorForException(e, what);
        if ((err.errorClass === 'transient' || err.errorClass === 'unavailable') && attempt < (opts.retries ?? 0) && !opts.signal?.aborted) {
          await wait(Math.min(MAX_WAIT_MS, 250 * 2 ** attempt), opts.signal);
          attempt++;
          continue;
        }
        throw new HttpSyncError(err);
      }
      if (res.status === 401 && !reauthed && this.auth.invalidate()) {
        reauthed = true;
        continue;
      }
      const err = errorForResponse(res, what);
      if (err) {
        if ((err.errorClass === 'transient' || err.errorClass === 'unavailable') && attempt < (opts.retries ?? 0) && !opts.signal?.aborted) {
          const backoff = 250 * 2 ** attempt * (0.5 + Math.random());
          await wait(Math.min(MAX_WAIT_MS, err.retryAfterMs ?? backoff), opts.signal);
          attempt++;
          continue;
        }
        throw new HttpSyncError(err, res.status);
      }
      let json: unknown = null;
      if (res.text.length > 0) {
        try {
          json = parseLosslessJson(res.text);
        } catch {
          throw new HttpSyncError(syncError('permanent', `${what}: the response is not JSON`, { response: res.text.slice(0, 300) }));
        }
      }
      return { ...res, json };
    }
  }
}
