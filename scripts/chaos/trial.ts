import { STEP_PAUSE_ENV } from '../../electron/runtime/engine/step-pause.js';
import { exited, hasExited, sleep, startSynccanvasRun, until, type RuntimeProcess } from '../../electron/runtime/test-support/synccanvas-process.js';

/** The three families of trial: one-way and two-way Postgres, two-way SQLite. */
export const TRIAL_KINDS = ['pg-one-way', 'pg-two-way', 'sqlite-two-way'] as const;
export type TrialKind = (typeof TRIAL_KINDS)[number];

/**
 * - kill: SIGKILL at a random moment, restart.
 * - kill-window: restart with the step-pause hook, SIGKILL while it holds the process between the
 *   target write and the inbox commit, restart.
 * - cut-refuse / cut-reset / cut-blackhole: the TCP proxy in front of the (second) Postgres cuts
 *   the network that way for a while (see tcp-proxy.ts).
 * - db-refuse: that database stops accepting connections (ALLOW_CONNECTIONS false, sessions
 *   terminated) for a while.
 */
export type Fault = 'kill' | 'kill-window' | 'cut-refuse' | 'cut-reset' | 'cut-blackhole' | 'db-refuse';
export const PROCESS_FAULTS: Fault[] = ['kill', 'kill-window'];
export const NETWORK_FAULTS: Fault[] = ['cut-refuse', 'cut-reset', 'cut-blackhole', 'db-refuse'];

export interface TrialResult {
  trial: number;
  kind: TrialKind;
  seed: number;
  /** The faults injected, in order (a label per fault). */
  faults: string[];
  /** Source changes the seeded writer made (both sides for two-way). */
  changes: number;
  /** Records on one side with no counterpart on the other. */
  lost: number;
  /** Runtime writes the target-side write log saw (a check that the log really watches). */
  loggedWrites: number;
  /** Extra records (no counterpart, or the same key twice) plus writes the write log saw twice. */
  duplicated: number;
  /** Records on both sides whose mapped fields differ. */
  mismatched: number;
  deadLettered: number;
  /** From the last restore/restart with the writer stopped until both sides were equal; null if never. */
  catchUpSeconds: number | null;
  /** The first few differences and the runtime's last words, for a failing trial. */
  detail?: string;
}

export const isClean = (r: TrialResult): boolean => r.lost === 0 && r.duplicated === 0 && r.mismatched === 0 && r.deadLettered === 0 && r.catchUpSeconds !== null;

export interface TrialOptions {
  trial: number;
  kind: TrialKind;
  seed: number;
  quick: boolean;
  /**
   * For the suite's own test (Postgres kinds): after catch-up, lose one target record, change
   * another, and write a third again as the runtime, so the counters must see it.
   */
  sabotage?: boolean;
}

/**
 * A fault plan drawn from the seed: 1–2 faults in quick mode, 2–4 otherwise; always at least one
 * kill and, where network faults apply (Postgres), at least one outage.
 */
export function planFaults(random: () => number, allowed: Fault[], quick: boolean): Fault[] {
  const n = quick ? 1 + Math.floor(random() * 2) : 2 + Math.floor(random() * 3);
  const faults: Fault[] = [];
  for (let i = 0; i < n; i++) faults.push(allowed[Math.floor(random() * allowed.length)]!);
  const network = allowed.filter((f) => NETWORK_FAULTS.includes(f));
  if (!faults.some((f) => PROCESS_FAULTS.includes(f))) faults[0] = random() < 0.5 ? 'kill' : 'kill-window';
  if (network.length > 0 && !faults.some((f) => network.includes(f))) {
    const outage = network[Math.floor(random() * network.length)]!;
    if (faults.length === 1) faults.push(outage);
    else faults[faults.length - 1] = outage;
  }
  return faults;
}

/** Every runtime started and not yet seen to exit, so an interrupted run leaves none behind. */
const live = new Set<RuntimeProcess>();

export function killAllRuntimes(): void {
  for (const c of live) if (!hasExited(c)) c.kill('SIGKILL');
}

/**
 * The runtime under test: one `synccanvas run` at a time on one workspace, killed and restarted
 * by the faults; every process it started is ended by `stop`.
 */
export class RuntimeUnderTest {
  private current: RuntimeProcess;
  private readonly all: RuntimeProcess[] = [];
  private said = '';

  constructor(private readonly flowFile: string, private readonly workspace: string) {
    this.current = this.spawn();
  }

  private spawn(env: Record<string, string> = {}): RuntimeProcess {
    const child = startSynccanvasRun(this.flowFile, this.workspace, { env });
    this.all.push(child);
    live.add(child);
    child.once('exit', () => live.delete(child));
    return child;
  }

  /** What the runtimes said (stderr), the last part. */
  stderrTail(chars = 2_000): string {
    return (this.said + this.current.stderrText()).slice(-chars);
  }

  async kill(): Promise<void> {
    this.current.kill('SIGKILL');
    await exited(this.current);
    this.said += this.current.stderrText();
  }

  async restart(env: Record<string, string> = {}): Promise<void> {
    if (!hasExited(this.current)) await this.kill();
    this.current = this.spawn(env);
  }

  /** SIGKILL held between a target write and its inbox commit; false if no write came in time. */
  async killInWriteWindow(timeoutMs: number): Promise<boolean> {
    await this.restart({ [STEP_PAUSE_ENV]: 'apply:after-write:5000' });
    const child = this.current;
    const hit = await until('a pause after a target write', () => child.stderrText().includes('paused at apply:after-write') || hasExited(child), timeoutMs, 20).then(
      () => child.stderrText().includes('paused at apply:after-write'),
      () => false,
    );
    await this.restart();
    return hit;
  }

  /** Ends every runtime started; the last one gently (SIGTERM) so it commits what it holds. */
  async stop(): Promise<void> {
    if (!hasExited(this.current)) {
      this.current.kill('SIGTERM');
      await Promise.race([exited(this.current), sleep(15_000)]);
    }
    for (const c of this.all) if (!hasExited(c)) c.kill('SIGKILL');
    await Promise.all(this.all.map((c) => exited(c)));
  }
}

/** Draws the moments of the faults across the writer's run (ms from its start), in order. */
export function faultTimes(random: () => number, count: number, spanMs: number): number[] {
  return Array.from({ length: count }, () => Math.round(spanMs * (0.1 + 0.8 * random()))).sort((a, b) => a - b);
}

export function formatTable(results: TrialResult[]): string {
  const head = ['trial', 'kind', 'seed', 'faults', 'changes', 'logged writes', 'lost', 'duplicated', 'mismatched', 'dead-lettered', 'catch-up s'];
  const rows = results.map((r) => [
    String(r.trial),
    r.kind,
    String(r.seed),
    r.faults.join(','),
    String(r.changes),
    String(r.loggedWrites),
    String(r.lost),
    String(r.duplicated),
    String(r.mismatched),
    String(r.deadLettered),
    r.catchUpSeconds === null ? 'never' : r.catchUpSeconds.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
