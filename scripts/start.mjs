#!/usr/bin/env node
// `npm start` (after the build): opens the desktop app on the demo workspace, or, where the Electron
// binary is not installed, serves the same UI in browser mode on 127.0.0.1 and prints the URL.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const extraArgs = process.argv.slice(2);

/**
 * The Electron binary's path, or null. `require('electron')` returns that path, but when the binary
 * is missing it tries to download it (and prints a stack trace where there is no internet), so the
 * package's own record of its binary is checked first.
 */
function electronBinary() {
  try {
    const pkgDir = path.dirname(require.resolve('electron/package.json'));
    if (!process.env.ELECTRON_OVERRIDE_DIST_PATH) {
      const pathFile = path.join(pkgDir, 'path.txt');
      if (!existsSync(pathFile)) return null;
      if (!existsSync(path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim()))) return null;
    }
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

function run(command, args) {
  // Its own process group: Ctrl+C reaches the child once, through us, so it shuts down cleanly
  // instead of seeing the terminal's SIGINT and ours back to back.
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', detached: process.platform !== 'win32' });
  const forward = (signal) => {
    if (child.exitCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => forward(signal));
  child.on('error', (error) => {
    console.error(`start: could not run ${command}: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? 0 : 1));
  });
}

const binary = electronBinary();
if (binary) {
  run(binary, [path.join(root, 'dist/electron/main.js'), '--demo', ...extraArgs]);
} else {
  console.log('start: the Electron binary is not installed (get it with `npx install-electron` where the internet is reachable); serving the app in browser mode instead.');
  run(process.execPath, [path.join(root, 'bin/synccanvas.mjs'), 'serve', '--demo', ...extraArgs]);
}
