import fs from 'node:fs';
import type { EngineHooks, EngineStep } from './engine-hooks.js';

const STEPS: readonly EngineStep[] = ['capture:before-commit', 'capture:after-commit', 'apply:before-write', 'apply:after-write', 'apply:after-commit'];

/** The variable that turns the pause on; never set in production. */
export const STEP_PAUSE_ENV = 'SYNCCANVAS_TEST_PAUSE_AT';

/**
 * Hooks for crash tests of the spawned CLI: with `SYNCCANVAS_TEST_PAUSE_AT=apply:after-write:2000`
 * the process stops dead for 2 s each time it reaches that step (after the target write, before the
 * inbox commit) and says so on stderr first (written synchronously: the pause blocks the event loop), so a test can SIGKILL it exactly in that window instead
 * of hoping a random kill lands there. The pause blocks the whole thread on purpose: nothing may
 * move on (no commit, no capture) while the test decides to kill.
 */
export function stepPauseHooks(env: NodeJS.ProcessEnv, write: (line: string) => void = (l) => fs.writeSync(2, l)): EngineHooks | undefined {
  const spec = env[STEP_PAUSE_ENV];
  if (!spec) return undefined;
  const at = spec.lastIndexOf(':');
  const step = spec.slice(0, at) as EngineStep;
  const ms = Number(spec.slice(at + 1));
  if (at < 0 || !STEPS.includes(step) || !Number.isInteger(ms) || ms <= 0) {
    throw new Error(`${STEP_PAUSE_ENV}="${spec}" is not "<step>:<milliseconds>" with a step of ${STEPS.join(', ')}`);
  }
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return {
    step(s) {
      if (s !== step) return;
      write(`synccanvas-test: paused at ${step}\n`);
      Atomics.wait(cell, 0, 0, ms);
    },
  };
}
