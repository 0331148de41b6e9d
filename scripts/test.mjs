#!/usr/bin/env node
// `npm test`: build, typecheck, lint, vitest (unit + integration), Playwright end to end.
// Vitest and Playwright both run inside the private keychain session when the tools exist.
// Streams each stage's output, stops at the first failing stage with its exit code, and prints
// how long each stage took. `npm test -- lint unit` runs only the named stages.
//
// Vitest runs inside a private D-Bus session with an unlocked gnome-keyring and a temporary HOME
// when dbus-run-session and gnome-keyring-daemon exist, so the keychain integration test exercises
// the real OS keychain (SYNCCANVAS_EXPECT_KEYCHAIN=1 makes it fail rather than fall back).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const vitestBin = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const playwrightBin = path.join(root, 'node_modules', '@playwright', 'test', 'cli.js');

const has = (command) => process.platform !== 'win32' && spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

function keychainSession() {
  if (!has('dbus-run-session') || !has('gnome-keyring-daemon')) return null;
  const home = mkdtempSync(path.join(tmpdir(), 'synccanvas-test-home-'));
  return {
    home,
    wrap(command, args) {
      const quoted = [command, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      return {
        command: 'dbus-run-session',
        args: ['--', 'sh', '-c', `printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec ${quoted}`],
        env: { HOME: home, XDG_DATA_HOME: path.join(home, '.local', 'share'), XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), SYNCCANVAS_EXPECT_KEYCHAIN: '1' },
      };
    },
  };
}

const stages = [
  { name: 'build', run: () => ({ command: npm, args: ['run', '--silent', 'build'] }) },
  { name: 'typecheck', run: () => ({ command: npm, args: ['run', '--silent', 'typecheck'] }) },
  { name: 'lint', run: () => ({ command: npm, args: ['run', '--silent', 'lint'] }) },
  {
    name: 'unit',
    run: (ctx) => {
      const session = keychainSession();
      if (!session) {
        console.log('test: dbus-run-session or gnome-keyring-daemon is missing; the keychain test will check the "unavailable" message instead.');
        return { command: process.execPath, args: [vitestBin, 'run'] };
      }
      ctx.cleanup.push(() => rmSync(session.home, { recursive: true, force: true }));
      console.log('test: vitest runs in a private D-Bus session with an unlocked gnome-keyring (real OS keychain).');
      return session.wrap(process.execPath, [vitestBin, 'run']);
    },
  },
  {
    name: 'e2e',
    run: (ctx) => {
      if (!existsSync(path.join(root, 'playwright.config.ts'))) return { error: 'playwright.config.ts is missing: the end-to-end suite cannot run.' };
      // The same private keychain session, so the editor's secret fields are exercised against the
      // real OS keychain (write-only, reported present) rather than the "unavailable" branch.
      const session = keychainSession();
      if (!session) return { command: process.execPath, args: [playwrightBin, 'test'] };
      ctx.cleanup.push(() => rmSync(session.home, { recursive: true, force: true }));
      console.log('test: Playwright runs in a private D-Bus session with an unlocked gnome-keyring (real OS keychain).');
      return session.wrap(process.execPath, [playwrightBin, 'test']);
    },
  },
];

const only = process.argv.slice(2);
const unknown = only.filter((n) => !stages.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`test: unknown stage ${unknown.join(', ')}; stages are ${stages.map((s) => s.name).join(', ')}.`);
  process.exit(2);
}
const selected = only.length > 0 ? stages.filter((s) => only.includes(s.name)) : stages;

function runStage(spec) {
  return new Promise((resolve) => {
    const child = spawn(spec.command, spec.args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...spec.env } });
    child.on('error', (error) => {
      console.error(`test: could not start ${spec.command}: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 1)));
  });
}

const results = [];
let exitCode = 0;
for (const stage of selected) {
  const started = performance.now();
  console.log(`\n━━ ${stage.name} ━━`);
  const ctx = { cleanup: [] };
  const spec = stage.run(ctx);
  let code;
  if (spec.error) {
    console.error(`test: ${spec.error}`);
    code = 1;
  } else {
    code = await runStage(spec);
  }
  for (const fn of ctx.cleanup) fn();
  results.push({ name: stage.name, code, seconds: (performance.now() - started) / 1000 });
  if (code !== 0) {
    exitCode = code;
    break;
  }
}

console.log('\n━━ summary ━━');
for (const r of results) console.log(`${r.name.padEnd(10)} ${(r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`).padEnd(16)} ${r.seconds.toFixed(1).padStart(6)} s`);
for (const s of selected.slice(results.length)) console.log(`${s.name.padEnd(10)} not run`);
const total = results.reduce((sum, r) => sum + r.seconds, 0);
console.log(exitCode === 0 ? `test: all ${results.length} stages passed in ${total.toFixed(1)} s` : `test: stopped at ${results.at(-1).name} after ${total.toFixed(1)} s`);
process.exit(exitCode);
