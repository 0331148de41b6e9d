import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RuntimeEvent } from '../../shared/api/contract.js';
import { DEMO_FLOW } from '../runtime/demo/demo-flow.js';
import { openRuntime } from '../runtime/runtime.js';
import { MemorySecretStore } from '../runtime/secrets/memory-store.js';

// Electron is not installed here: the shell's utilityProcess is stood in for by a real Node process
// running the real runtime host (dist/runtime/host.js), which speaks the same protocol over fork's IPC.
vi.mock('electron', () => ({ utilityProcess: { fork: () => { throw new Error('tests pass their own fork'); } } }));
const { RuntimeProcess } = await import('./runtime-process.js');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hostPath = path.join(root, 'dist/runtime/host.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-host-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

/** utilityProcess.fork's shape over child_process.fork. */
const nodeFork = (p: string) => {
  const child = fork(p, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
  children.push(child);
  return {
    child,
    postMessage: (m: unknown) => child.connected && child.send(m as object),
    on: (event: string, listener: (...args: never[]) => void) => child.on(event, listener as (...args: unknown[]) => void),
    kill: () => child.kill(),
  };
};

describe('the runtime in its own process', () => {
  it('answers API calls and pushes events, restarts after a crash with nothing lost, and closes cleanly on quit', async () => {
    expect(fs.existsSync(hostPath), 'run `npm run build` first').toBe(true);
    const workspaceDir = path.join(work, 'ws');
    let current: ReturnType<typeof nodeFork> | null = null;
    const restarts: string[] = [];
    const rp = new RuntimeProcess({
      hostPath,
      workspaceDir,
      demo: false,
      fork: (p) => (current = nodeFork(p)) as never,
      onRestart: (m) => restarts.push(m),
    });
    await rp.start();
    const events: RuntimeEvent[] = [];
    rp.subscribe((e) => events.push(e));

    const info = await rp.call('workspace.info', {});
    expect(info).toMatchObject({ ok: true, value: { path: workspaceDir } });
    // Validation happens in the runtime process, exactly as over HTTP.
    expect(await rp.call('dlq.get', { id: 'seven' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const handlers = rp.handlers();
    const saved = await handlers['flows.save']({ flow: { ...DEMO_FLOW, id: 'hosted', systems: DEMO_FLOW.systems.map((s) => ({ ...s, config: { path: path.join(work, `${s.id}.db`) } })) } });
    expect(saved.ok).toBe(true);
    await expect(handlers['flows.get']({ flowId: 'missing' })).rejects.toThrow(/missing/);

    // A crash: the process is killed; the app restarts it and says so; the workspace is intact.
    const first = current!.child;
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatch(/stopped unexpectedly .* restarted/);
    const flows = await rp.call('flows.list', {});
    expect(flows).toMatchObject({ ok: true, value: [expect.objectContaining({ id: 'hosted' })] });
    expect(current!.child).not.toBe(first);

    await rp.call('flows.start', { flowId: 'hosted' });
    await new Promise((r) => setTimeout(r, 1200));
    expect(events.some((e) => e.type === 'status')).toBe(true);

    // Quit: the runtime drains, closes the workspace and exits 0; the workspace can be opened again.
    const second = current!.child;
    const exited = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
    await rp.close(1000);
    expect(await exited).toBe(0);
    expect(restarts).toHaveLength(1);
    const again = await openRuntime({ workspaceDir, resume: false, secrets: new MemorySecretStore() });
    expect((await again.api['flows.list']({})).map((f) => f.id)).toEqual(['hosted']);
    await again.close({ drainMs: 0 });
  }, 60_000);
});
