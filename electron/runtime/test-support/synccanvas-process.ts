import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `synccanvas run` (bin/synccanvas.mjs, the dist build) as a child process for crash and fault
 * tests: its stderr is kept so a test can wait for a line (the step-pause hook's "paused at …") or
 * show what the runtime said when something went wrong.
 */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SYNCCANVAS_BIN = path.join(REPO_ROOT, 'bin/synccanvas.mjs');

export type RuntimeProcess = ChildProcess & { stderrText(): string };

export function startSynccanvasRun(flowFile: string, workspace: string, opts: { env?: Record<string, string>; args?: string[]; nodeArgs?: string[] } = {}): RuntimeProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), SYNCCANVAS_BIN, 'run', flowFile, '--workspace', workspace, ...(opts.args ?? [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    // Only the tail matters for a report; a long run must not grow memory without bound.
    err = (err + d.toString()).slice(-200_000);
  });
  return Object.assign(child, { stderrText: () => err });
}

export const hasExited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;

export const exited = (c: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (hasExited(c) ? resolve(c.exitCode) : c.once('exit', (code) => resolve(code))));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds (errors count as "not yet"); returns the milliseconds it took. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000, everyMs = 100): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await Promise.resolve().then(cond).catch(() => false)) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
