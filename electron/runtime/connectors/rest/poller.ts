import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import type { CaptureContext, CaptureHandle } from '../types.js';
import type { EntitySpec } from '../definitions/format.js';
import type { TemplateVars } from '../definitions/template.js';
import type { ApiCaller } from './api-caller.js';
import { pollEntity } from './entity-poll.js';
import { HttpSyncError } from './http-client.js';
import { emptyEntityState, parsePollState, type PollState } from './poll-state.js';

export const PollScheduleSchema = z.discriminatedUnion('mode', [
  /** Near-real-time: look again this long after each poll ends. */
  z.object({ mode: z.literal('interval'), everyMs: z.number().int().min(100).max(86_400_000).default(30_000) }),
  /** Batch: poll on a cron schedule (five fields, local time). */
  z.object({
    mode: z.literal('cron'),
    cron: z.string().refine((c) => {
      try {
        CronExpressionParser.parse(c);
        return true;
      } catch {
        return false;
      }
    }, 'not a cron expression; five fields such as "*/15 * * * *"'),
  }),
  z.object({ mode: z.literal('off') }),
]);
export type PollSchedule = z.infer<typeof PollScheduleSchema>;

/** The longest gap between two polls, for tombstone TTLs. */
export function pollIntervalMs(s: PollSchedule): number {
  if (s.mode === 'interval') return s.everyMs;
  if (s.mode === 'off') return 0;
  const it = CronExpressionParser.parse(s.cron);
  const a = it.next().getTime();
  let longest = 0;
  let prev = a;
  for (let i = 0; i < 50; i++) {
    const n = it.next().getTime();
    longest = Math.max(longest, n - prev);
    prev = n;
  }
  return longest;
}

function delayUntilNext(s: PollSchedule, now: number): number {
  if (s.mode === 'interval') return s.everyMs;
  if (s.mode === 'cron') return Math.max(0, CronExpressionParser.parse(s.cron, { currentDate: new Date(now) }).next().getTime() - now);
  return Infinity;
}

const CHUNK = 1000;

export interface PollerOptions {
  api: ApiCaller;
  entities: readonly EntitySpec[];
  vars: TemplateVars;
  eventIdPrefix: string;
  schedule: PollSchedule;
}

/**
 * The polling capture loop. Each entity's changes go to the sink with the whole poll state as
 * checkpoint; the in-memory state moves on only after the sink resolves, so a crash or a failed
 * commit repeats the poll from the last committed cursor (and eventIds make the repeat harmless).
 */
export async function startPoller(o: PollerOptions, ctx: CaptureContext): Promise<CaptureHandle & { pollNow(): Promise<void> }> {
  const parsed = parsePollState(ctx.checkpoint);
  let state: PollState = parsed.state;
  const pending: string[] = parsed.notice ? [parsed.notice] : [];
  const stopper = new AbortController();
  const signal = AbortSignal.any([stopper.signal, ctx.signal]);
  const entities = o.entities.filter((e) => e.read && (ctx.entities.length === 0 || ctx.entities.includes(e.name)));
  let running: Promise<void> | null = null;
  let failures = 0;

  async function pollOnce(): Promise<void> {
    for (const entity of entities) {
      if (signal.aborted) return;
      const prev = state.entities[entity.name] ?? emptyEntityState();
      const now = Date.now();
      const result = await pollEntity(o.api, entity, prev, o.vars, o.eventIdPrefix, now, signal);
      // Stopping mid-poll: abandon the batch rather than commit after stop() was asked.
      if (signal.aborted) return;
      const notices = [...pending.splice(0), ...result.notices.slice(0, 20)];
      if (result.changes.length === 0 && result.state.cursor === prev.cursor && notices.length === 0) continue;
      const next: PollState = { v: 1, entities: { ...state.entities, [entity.name]: result.state } };
      const before = JSON.stringify(state);
      const after = JSON.stringify(next);
      for (let i = 0; i < Math.max(1, result.changes.length); i += CHUNK) {
        const last = i + CHUNK >= result.changes.length;
        // Earlier chunks re-store the old checkpoint: only the last one may move the cursor.
        await ctx.sink({ changes: result.changes.slice(i, i + CHUNK), checkpoint: last ? after : before, ...(i === 0 && notices.length ? { notices } : {}) });
      }
      state = next;
    }
  }

  function runPoll(): Promise<void> {
    running ??= pollOnce()
      .then(
        () => {
          failures = 0;
          ctx.reportStatus?.({ poll: 'ok', at: Date.now() });
          ctx.reportAvailability?.(null);
        },
        (e: unknown) => {
          if (signal.aborted) return;
          failures++;
          const err = e instanceof HttpSyncError ? e.error : { errorClass: 'transient', message: (e as Error).message };
          ctx.reportStatus?.({ poll: 'failed', errorClass: err.errorClass, message: err.message, failures });
          if (err.errorClass === 'unavailable') ctx.reportAvailability?.({ message: err.message, retryInMs: Math.min(1000 * 2 ** failures, 300_000) });
        },
      )
      .finally(() => {
        running = null;
      });
    return running;
  }

  const loop = (async () => {
    if (o.schedule.mode === 'off') return;
    while (!signal.aborted) {
      await runPoll();
      // After failures, wait longer (up to 5 min) so a broken API is not hammered.
      const base = delayUntilNext(o.schedule, Date.now());
      const delay = failures > 0 ? Math.min(Math.max(base, 1000 * 2 ** failures), 300_000) : base;
      if (!Number.isFinite(delay)) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  })();

  return {
    pollNow: runPoll,
    async stop() {
      stopper.abort();
      await loop;
      await running;
    },
  };
}
