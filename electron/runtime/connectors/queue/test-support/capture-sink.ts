import type { CaptureContext, CapturedBatch } from '../../types.js';

/**
 * A capture context for queue connector tests: collects the batches a capture hands over, can hold
 * the commit (as a slow inbox would) to show nothing is acked before it, and records availability.
 */
export function captureSink() {
  const batches: CapturedBatch[] = [];
  const problems: string[] = [];
  let gate: Promise<void> | null = null;
  let open = () => {};
  const abort = new AbortController();
  const ctx: CaptureContext = {
    entities: ['contacts'],
    checkpoint: null,
    signal: abort.signal,
    sink: async (b) => {
      if (gate) await gate;
      batches.push(b);
    },
    durable: async () => {},
    reportAvailability: (p) => void (p && problems.push(p.message)),
  };
  return {
    ctx,
    batches,
    problems,
    hold: () => (gate = new Promise<void>((r) => (open = r))),
    release: () => { gate = null; open(); },
    get changes() { return batches.flatMap((b) => b.changes); },
    get rejected() { return batches.flatMap((b) => b.rejected ?? []); },
  };
}

/** Polls `cond` until it holds (an error counts as not yet), or fails naming `what`. */
export const until = async (what: string, cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await Promise.resolve().then(cond).catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
