import type { ApiInput, ApiMethod, ApiOutputs, PreloadApi } from '../../shared/api/contract.js';
import type { ApiClient } from './api-client.js';
import { ApiCallError, apiCallErrorFrom } from './api-call-error.js';
import { parseRuntimeEvent } from './runtime-event.js';

/** Electron: the preload's `window.synccanvas` bridge, which answers with values, never throws for API errors. */
export function createIpcTransport(bridge: PreloadApi): ApiClient {
  async function call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutputs[M]> {
    let result: Awaited<ReturnType<PreloadApi['call']>>;
    try {
      result = await bridge.call(method, input ?? {});
    } catch (cause) {
      throw new ApiCallError('unavailable', `The SyncCanvas runtime did not answer ${method}: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    if (result.ok) return result.value as ApiOutputs[M];
    throw apiCallErrorFrom(result.error, new ApiCallError('internal', `The runtime rejected ${method} without saying why.`));
  }

  return {
    mode: 'ipc',
    call,
    onEvent(listener) {
      return bridge.onEvent((raw) => {
        const event = parseRuntimeEvent(raw);
        if (event) listener(event);
      });
    },
  };
}
