import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * Runs the real delivery scripts (bin/synccanvas.mjs, scripts/start.mjs, scripts/build.mjs) as child
 * processes inside a scratch copy of the project layout, with stand-ins only for what they launch.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runNode(cwd: string, args: string[], opts: { untilStdout?: RegExp; thenSignal?: NodeJS.Signals } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.ELECTRON_OVERRIDE_DIST_PATH;
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (opts.untilStdout && opts.thenSignal && !signalled && opts.untilStdout.test(stdout)) {
        signalled = true;
        child.kill(opts.thenSignal);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('delivery scripts', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-delivery-'));
    await mkdir(path.join(dir, 'bin'));
    await mkdir(path.join(dir, 'scripts'));
    await copyFile(path.join(root, 'bin/synccanvas.mjs'), path.join(dir, 'bin/synccanvas.mjs'));
    await copyFile(path.join(root, 'scripts/start.mjs'), path.join(dir, 'scripts/start.mjs'));
    await copyFile(path.join(root, 'scripts/build.mjs'), path.join(dir, 'scripts/build.mjs'));
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fakeCli = (body: string) => mkdir(path.join(dir, 'dist/runtime'), { recursive: true }).then(() => writeFile(path.join(dir, 'dist/runtime/cli.js'), body));

  it('bin/synccanvas.mjs says to build when dist/runtime/cli.js is missing', async () => {
    const run = await runNode(dir, ['bin/synccanvas.mjs', 'status']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/dist\/runtime\/cli\.js is missing; run `npm run build` first/);
  });

  it('bin/synccanvas.mjs passes its arguments to main() and exits with its code', async () => {
    await fakeCli('export async function main(argv) { console.log(JSON.stringify(argv)); return 3; }');
    const run = await runNode(dir, ['bin/synccanvas.mjs', 'dlq', 'list', '--flow=a b']);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout.trim())).toEqual(['dlq', 'list', '--flow=a b']);
  });

  it('npm start falls back to browser mode in one line when the Electron binary is missing, and forwards Ctrl+C', async () => {
    await fakeCli(`export async function main(argv) {
      const keepAlive = setInterval(() => {}, 1000);
      const stopped = new Promise((resolve) => process.on('SIGINT', resolve));
      console.log('serving ' + argv.join(' ') + ' at http://127.0.0.1:1/#token=t');
      await stopped;
      clearInterval(keepAlive);
      console.log('closed cleanly');
      return 0;
    }`);
    const run = await runNode(dir, ['scripts/start.mjs'], { untilStdout: /serving serve/, thenSignal: 'SIGINT' });
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^start: the Electron binary is not installed \(get it with `npx install-electron` where the internet is reachable\); serving the app in browser mode instead\.$/);
    expect(lines[1]).toBe('serving serve --demo at http://127.0.0.1:1/#token=t');
    expect(lines[2]).toBe('closed cleanly');
    expect(run.code).toBe(0);
  });

  it('npm start launches Electron on dist/electron/main.js with --demo when the binary is installed', async () => {
    const pkg = path.join(dir, 'node_modules/electron');
    await mkdir(path.join(pkg, 'dist'), { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), '{"name":"electron","main":"index.js"}');
    await writeFile(path.join(pkg, 'path.txt'), 'electron');
    await writeFile(path.join(pkg, 'index.js'), "module.exports = require('path').join(__dirname, 'dist', 'electron');");
    const binary = path.join(pkg, 'dist/electron');
    await writeFile(binary, '#!/bin/sh\necho "electron $*"\nexit 7\n');
    await chmod(binary, 0o755);
    const run = await runNode(dir, ['scripts/start.mjs']);
    expect(run.stdout.trim()).toBe(`electron ${path.join(dir, 'dist/electron/main.js')} --demo`);
    expect(run.code).toBe(7);
  });

  it('the build names the source entries that do not exist yet', async () => {
    const run = await runNode(dir, ['scripts/build.mjs']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/build: cannot build yet: missing source entries electron\/main\/main\.ts, electron\/preload\/preload\.ts, electron\/runtime\/host-main\.ts, electron\/runtime\/cli\.ts, vite\.config\.ts, renderer\/index\.html/);
  });
});
