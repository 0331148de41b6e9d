import type { CaptureContext, CaptureHandle } from '../types.js';
import { describePgError } from './errors.js';

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 20_000;

/**
 * Capture whose start failed because the source could not be reached (a network cut or a database
 * refusing connections while the runtime starts or restarts): it reports the outage, tries again
 * with backoff (1 s doubling, up to 20 s) until it starts or is stopped, then reports the source
 * reachable. The running stream reconnects by itself (slot-stream.ts); without this, a start that
 * met an outage left the source uncaptured until the next restart, silently.
 */
export function startWhenReachable(start: () => Promise<CaptureHandle>, ctx: Pick<CaptureContext, 'signal' | 'reportAvailability'>, firstError: unknown): CaptureHandle {
  let inner: CaptureHandle | null = null;
  let stopped = false;
  let wake: (() => void) | null = null;
  const onAbort = () => wake?.();
  ctx.signal.addEventListener('abort', onAbort);
  const done = (async () => {
    let delay = FIRST_RETRY_MS;
    let error = firstError;
    try {
      while (!stopped && !ctx.signal.aborted) {
        ctx.reportAvailability?.({ message: `capture could not start: ${describePgError(error)}`, retryInMs: delay });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        if (stopped || ctx.signal.aborted) return;
        try {
          const handle = await start();
          if (stopped || ctx.signal.aborted) {
            await handle.stop();
            return;
          }
          inner = handle;
          ctx.reportAvailability?.(null);
          return;
        } catch (e) {
          error = e;
          delay = Math.min(delay * 2, MAX_RETRY_MS);
        }
      }
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await done;
      await inner?.stop();
    },
  };
}
