import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRuntimeEndpoint } from '../api/runtime-endpoint.js';
import { openRuntime } from '../runtime.js';
import { connectWorkspaceApi } from './workspace-api.js';
import { WorkspaceMissingError } from './workspace.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-wsapi-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const lockOf = (ws: string) => (fs.existsSync(path.join(ws, 'runtime.lock')) ? fs.readFileSync(path.join(ws, 'runtime.lock'), 'utf8').trim() : null);

describe('connectWorkspaceApi with no runtime holding the workspace', () => {
  it('reads without the lock (a status check never keeps a runtime from starting), writes under it, and gives it back', async () => {
    const ws = path.join(dir, 'a');
    await (await openRuntime({ workspaceDir: ws, resume: false })).close();
    const reader = await connectWorkspaceApi(ws, { write: false });
    try {
      expect(reader.via).toBe('workspace');
      expect(lockOf(ws)).toBeNull();
      // A runtime can start while the reader is open.
      const runtime = await openRuntime({ workspaceDir: ws, resume: false });
      await runtime.close();
      expect(await reader.call('dlq.list', {})).toEqual({ total: 0, entries: [] });
      await expect(reader.call('dlq.discard', { ids: [1] })).rejects.toThrow(/opened to read only/);
    } finally {
      await reader.close();
    }
    const writer = await connectWorkspaceApi(ws, { write: true });
    try {
      expect(lockOf(ws)).toBe(String(process.pid));
      expect(await writer.call('dlq.discard', { ids: [1] })).toEqual({ discarded: 0 });
    } finally {
      await writer.close();
    }
    expect(lockOf(ws)).toBeNull();
  });

  it('says there is no workspace rather than making one', async () => {
    const ws = path.join(dir, 'none');
    await expect(connectWorkspaceApi(ws, { write: true })).rejects.toThrow(WorkspaceMissingError);
    expect(fs.existsSync(path.join(ws, 'workspace.db'))).toBe(false);
  });

  it('ignores an endpoint file whose pid does not hold the lock', async () => {
    const ws = path.join(dir, 'stale');
    await (await openRuntime({ workspaceDir: ws, resume: false })).close();
    writeRuntimeEndpoint(ws, { pid: 999_999_999, url: 'http://127.0.0.1:9/', token: 'x'.repeat(32) });
    const api = await connectWorkspaceApi(ws, { write: true });
    try {
      expect(api.via).toBe('workspace');
      expect(await api.call('status.get', {})).toEqual([]);
    } finally {
      await api.close();
    }
  });
});
