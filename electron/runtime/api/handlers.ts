import type { ApiMethod, ApiOutputs, ApiParsedInput } from '../../../shared/api/contract.js';

/** The runtime API as plain async functions; transports (IPC, HTTP) validate input and call these. */
export type ApiHandlers = { [M in ApiMethod]: (input: ApiParsedInput<M>) => Promise<ApiOutputs[M]> };

/** An error the handlers throw to give the caller a stable code and a message that says what to fix. */
export class ApiError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'unauthorized' | 'forbidden' | 'conflict' | 'unavailable' | 'internal',
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
