import type { CapturedBatch, CapturedChange, CaptureContext } from '../../types.js';

/**
 * Stands in for the runtime's inbox: keeps committed batches and the checkpoint, and can be told
 * to fail, as a full disk would.
 */
export class CollectingSink {
  readonly batches: CapturedBatch[] = [];
  checkpoint: string | null = null;
  failing = false;
  /** Commit, then report failure: the process died between the inbox commit and the acknowledgement. */
  commitThenFail = false;
  /** While set, commits wait for it, as a slow disk would make them. */
  gate: Promise<void> | null = null;
  failures = 0;
  /**
   * Commit within the call, as the runtime's inbox does (one synchronous SQLite transaction), rather
   * than a turn of the event loop later: what a batch holds then depends on capture alone.
   */
  synchronous = false;
  readonly statuses: Record<string, unknown>[] = [];

  get changes(): CapturedChange[] {
    return this.batches.flatMap((b) => b.changes);
  }

  get notices(): string[] {
    return this.batches.flatMap((b) => b.notices ?? []);
  }

  context(entities: string[], signal = new AbortController().signal): CaptureContext {
    return {
      entities,
      checkpoint: this.checkpoint,
      signal,
      sink: async (batch) => {
        if (!this.synchronous) await new Promise((r) => setImmediate(r));
        if (this.gate) await this.gate;
        if (this.failing) {
          this.failures++;
          throw new Error('inbox unavailable (test)');
        }
        this.batches.push(batch);
        if (batch.checkpoint !== null) this.checkpoint = batch.checkpoint;
        if (this.commitThenFail) throw new Error('crashed after the commit (test)');
      },
      reportStatus: (status) => {
        this.statuses.push(status);
      },
    };
  }
}
