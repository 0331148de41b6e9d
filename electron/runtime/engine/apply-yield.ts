/**
 * How the apply loop shares the event loop with senders waiting for an answer (a webhook's 2xx
 * comes after its inbox commit is fsynced). Applying a batch blocks the loop for a while; done after
 * every small group commit it sat in front of the answers and paid its fixed cost per few rows. So
 * while such commits keep arriving, apply waits for a quiet moment — no answered commit for
 * QUIET_MS — but never longer than the yield limit, and then takes everything that piled up in one
 * batch. Capture that acknowledges later (a replication stream, a poller) never makes it wait.
 */

/** No commit a sender waits on for this long: the traffic has a gap. */
export const QUIET_MS = 2;

/**
 * Milliseconds the apply loop should still wait before its next batch (0: go now).
 * @param now the current time (ms, monotonic)
 * @param lastAnsweredCommit when the last captured batch a sender waits on was committed
 * @param waitingSince when the loop started waiting for this batch
 * @param yieldMs the longest the loop waits (0 turns waiting off)
 */
export function applyWaitMs(now: number, lastAnsweredCommit: number, waitingSince: number, yieldMs: number): number {
  if (yieldMs <= 0) return 0;
  const deadline = waitingSince + yieldMs;
  const quietAt = lastAnsweredCommit + QUIET_MS;
  if (quietAt <= now || deadline <= now) return 0;
  return Math.max(1, Math.min(quietAt, deadline) - now);
}
