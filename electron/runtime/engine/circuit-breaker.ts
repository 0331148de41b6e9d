/**
 * One circuit breaker per system. While a system is unavailable (unreachable, refusing
 * connections, 503), writes to it would only fail, and counting those failures against each
 * record's retries would send healthy records to the DLQ. So the breaker opens: the edge pauses,
 * changes wait in the inbox untouched, and one probe (the next real batch) is let through after a
 * capped, jittered backoff. A success closes it and the backlog drains.
 *
 * Pure: time and randomness come from the caller.
 */
export interface BreakerPolicy {
  /** First probe delay. */
  baseMs: number;
  /** Probe delays never grow beyond this. */
  maxMs: number;
}

/**
 * 1 s doubling to 20 s: after a long outage the first probe comes at most 20 s after the restore,
 * which leaves the backlog time to drain within 30 s of it.
 */
export const DEFAULT_BREAKER: BreakerPolicy = { baseMs: 1000, maxMs: 20_000 };

export interface Outage {
  /** When the first failure of this outage happened. */
  since: number;
  /** When the next probe may run. */
  retryAt: number;
  /** Failed probes so far (1 after the failure that opened it). */
  failures: number;
  /** The last error the system gave. */
  message: string;
}

export class CircuitBreakers {
  private readonly open = new Map<string, Outage>();

  constructor(
    private readonly policy: BreakerPolicy = DEFAULT_BREAKER,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before probe number `failures` + 1: exponential, capped, jittered (never below half). */
  delay(failures: number, retryAfterMs?: number): number {
    const exp = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.max(0, failures - 1));
    const jittered = exp / 2 + this.random() * (exp / 2);
    // A Retry-After is honoured, but no longer than the cap: the probe is cheap, a long stall is not.
    return Math.min(this.policy.maxMs, Math.max(jittered, retryAfterMs ?? 0));
  }

  /** Record that `system` was unavailable at `now`; opens the breaker or pushes the next probe out. */
  failed(system: string, now: number, message: string, retryAfterMs?: number): Outage {
    const prev = this.open.get(system);
    const failures = (prev?.failures ?? 0) + 1;
    const outage: Outage = { since: prev?.since ?? now, retryAt: now + this.delay(failures, retryAfterMs), failures, message };
    this.open.set(system, outage);
    return outage;
  }

  /** A write to or read from `system` worked: the outage (if any) is over. Returns it, for the log. */
  succeeded(system: string): Outage | null {
    const prev = this.open.get(system) ?? null;
    this.open.delete(system);
    return prev;
  }

  /** True while `system` must not be written to: open, and its probe time has not come. */
  blocked(system: string, now: number): boolean {
    const o = this.open.get(system);
    return o !== undefined && now < o.retryAt;
  }

  outage(system: string): Outage | null {
    return this.open.get(system) ?? null;
  }

  /** The earliest probe time of any open breaker, to arm the wake-up timer. */
  nextProbe(): number | null {
    let t: number | null = null;
    for (const o of this.open.values()) if (t === null || o.retryAt < t) t = o.retryAt;
    return t;
  }

  /** Systems whose breaker is open and not due for a probe at `now`. */
  blockedSystems(now: number): Set<string> {
    const out = new Set<string>();
    for (const [system, o] of this.open) if (now < o.retryAt) out.add(system);
    return out;
  }

  anyOpen(): boolean {
    return this.open.size > 0;
  }

  /** Forget every outage (the flow stopped: a new start probes at once). */
  clear(): void {
    this.open.clear();
  }
}
