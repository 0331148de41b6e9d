import { describe, expect, it } from 'vitest';
import { STEP_PAUSE_ENV, stepPauseHooks } from './step-pause.js';

describe('the crash-test pause hook', () => {
  it('is off unless the variable is set', () => {
    expect(stepPauseHooks({})).toBeUndefined();
  });

  it('says where it pauses and holds the thread there, at that step only', () => {
    const lines: string[] = [];
    const hooks = stepPauseHooks({ [STEP_PAUSE_ENV]: 'apply:after-write:60' }, (l) => lines.push(l))!;
    let t = performance.now();
    hooks.step!('apply:before-write');
    expect(performance.now() - t).toBeLessThan(50);
    expect(lines).toEqual([]);
    t = performance.now();
    hooks.step!('apply:after-write');
    expect(performance.now() - t).toBeGreaterThanOrEqual(55);
    expect(lines).toEqual(['synccanvas-test: paused at apply:after-write\n']);
  });

  it('refuses a malformed setting, saying what it expects', () => {
    for (const bad of ['apply:after-write', 'apply:sideways:100', 'apply:after-write:-5', 'x']) {
      expect(() => stepPauseHooks({ [STEP_PAUSE_ENV]: bad })).toThrow(/is not "<step>:<milliseconds>" with a step of capture:before-commit/);
    }
  });
});
