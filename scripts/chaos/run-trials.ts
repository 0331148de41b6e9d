import type { EmbeddedServerInfo } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import { runPgTrial } from './pg-trial.js';
import { runSqliteTrial } from './sqlite-trial.js';
import { TRIAL_KINDS, type TrialKind, type TrialResult } from './trial.js';

export interface ChaosPlan {
  trials: number;
  /** Trial i runs with seed + i. */
  seed: number;
  quick: boolean;
  /** Only this kind; otherwise the kinds take turns. */
  kind?: TrialKind;
  sabotage?: boolean;
}

/** Runs the trials one after another (each with fresh databases and workspace). */
export async function runTrials(server: EmbeddedServerInfo, plan: ChaosPlan, onResult: (r: TrialResult) => void = () => {}): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (let i = 0; i < plan.trials; i++) {
    const kind = plan.kind ?? TRIAL_KINDS[i % TRIAL_KINDS.length]!;
    const opts = { trial: i + 1, kind, seed: plan.seed + i, quick: plan.quick, sabotage: plan.sabotage };
    const result = kind === 'sqlite-two-way' ? await runSqliteTrial(opts) : await runPgTrial(server, opts);
    results.push(result);
    onResult(result);
  }
  return results;
}
