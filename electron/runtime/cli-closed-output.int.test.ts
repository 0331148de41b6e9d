import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../shared/events.js';
import { Store } from './store/store.js';
import { SYNCCANVAS_BIN } from './test-support/synccanvas-process.js';

/**
 * The CLI's output piped into a reader that stops early (`synccanvas dlq list | head -1`), from
 * outside: the built CLI in a child process, the reader a real `head` or a pipe we close before the
 * CLI writes. Unix tools exit quietly then; an EPIPE stack trace and exit code 1 broke scripts run
 * with `set -o pipefail`.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-cli-closed-'));
const workspace = path.join(work, 'ws');
const ENTRIES = 1000;

beforeAll(() => {
  fs.mkdirSync(workspace);
  const store = Store.open(path.join(workspace, 'workspace.db'));
  try {
    // Far more than a pipe holds (64 KiB), so the CLI is still writing when `head` has gone.
    for (let i = 0; i < ENTRIES; i++) {
      const event: ChangeEvent = { eventId: `crm-${i}`, system: 'crm', entity: 'contacts', key: String(i), op: 'upsert', fields: { email: `c${i}@example.com` }, sourceTime: 1, captureTime: 1, origin: 'user' };
      store.dlq.add({ flowId: 'f', syncId: 'contacts', direction: 'a-to-b', event, sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'permanent', message: `billing refused ${'the row '.repeat(20)}`, response: null, attempts: 1, firstFailedAt: 1, lastFailedAt: 1, payload: null });
    }
  } finally {
    store.close();
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(file: string, args: string[], opts: { closeStdout?: boolean } = {}): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYNCCANVAS_WORKSPACE: workspace } });
    let out = '';
    let err = '';
    if (opts.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

describe('synccanvas with its stdout closed early', () => {
  it('`dlq list | head -1` prints the first line and the pipeline succeeds under pipefail', async () => {
    const r = await run('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${SYNCCANVAS_BIN}" dlq list --limit ${ENTRIES} | head -1`]);
    expect(r.err).toBe('');
    expect(r.out).toBe(`${ENTRIES} entries in the dead-letter queue\n`);
    expect(r.code).toBe(0);
  }, 30_000);

  it.each([
    ['help', ['--help']],
    ['dlq list', ['dlq', 'list', '--json']],
  ])('%s into a pipe already closed exits 0 without a word on stderr', async (_name, args) => {
    const r = await run(process.execPath, [SYNCCANVAS_BIN, ...args], { closeStdout: true });
    expect(r.err).toBe('');
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
  }, 30_000);
});
