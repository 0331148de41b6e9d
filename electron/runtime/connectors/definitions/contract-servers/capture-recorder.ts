import type { CapturedBatch, CapturedChange, CaptureContext } from '../../types.js';

/**
 * Test-side stand-in for the runtime's capture context: keeps every committed batch and the
 * last checkpoint, as the inbox would, and lets a test wait for a condition.
 */
export function captureRecorder(entities: string[], checkpoint: string | null = null) {
  const batches: CapturedBatch[] = [];
  const statuses: Record<string, unknown>[] = [];
  const controller = new AbortController();
  let last = checkpoint;
  let failNext = 0;
  const ctx: CaptureContext = {
    entities,
    checkpoint,
    signal: controller.signal,
    sink: async (b) => {
      if (failNext > 0) {
        failNext--;
        throw new Error('inbox unavailable');
      }
      batches.push(b);
      if (b.checkpoint !== null) last = b.checkpoint;
    },
    reportStatus: (s) => statuses.push(s),
  };
  return {
    ctx,
    batches,
    statuses,
    changes: (): CapturedChange[] => batches.flatMap((b) => b.changes),
    checkpoint: () => last,
    failCommits(n: number) {
      failNext = n;
    },
    abort: () => controller.abort(),
    async waitFor<T>(probe: () => T | undefined | false | null, timeoutMs = 8000): Promise<T> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = probe();
        if (v) return v;
        if (Date.now() > until) throw new Error(`condition not met in ${timeoutMs} ms; statuses: ${JSON.stringify(statuses.slice(-3))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    webhookUrl(): string | undefined {
      return statuses.find((s) => s.webhook === 'listening')?.url as string | undefined;
    },
  };
}
