import { describe, expect, it, vi } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, IPC_PICK_FILE_CHANNEL, type PreloadApi } from '../../shared/api/contract.js';

const electron = vi.hoisted(() => ({
  contextBridge: { exposeInMainWorld: vi.fn() },
  ipcRenderer: { invoke: vi.fn(async () => ({ ok: true, value: 'pong' })), on: vi.fn(), removeListener: vi.fn() },
}));
vi.mock('electron', () => electron);

const preload = await import('./preload.js');

describe('preload', () => {
  it('uses the contract\'s channel names', () => {
    expect([preload.CALL_CHANNEL, preload.EVENT_CHANNEL, preload.PICK_FILE_CHANNEL]).toEqual([IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, IPC_PICK_FILE_CHANNEL]);
  });

  it('exposes exactly one global, `synccanvas`, with only call, onEvent and pickFile', () => {
    expect(electron.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    const [name, api] = electron.contextBridge.exposeInMainWorld.mock.calls[0]! as [string, PreloadApi];
    expect(name).toBe('synccanvas');
    expect(Object.keys(api).sort()).toEqual(['call', 'onEvent', 'pickFile']);
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
  });

  it('sends calls as {method, input} on the call channel', async () => {
    const api = electron.contextBridge.exposeInMainWorld.mock.calls[0]![1] as PreloadApi;
    expect(await api.call('workspace.info', {})).toEqual({ ok: true, value: 'pong' });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith(IPC_CALL_CHANNEL, { method: 'workspace.info', input: {} });
  });

  it('asks the main process for a file on its own channel', async () => {
    const api = electron.contextBridge.exposeInMainWorld.mock.calls[0]![1] as PreloadApi;
    await api.pickFile({ title: 'Choose', defaultPath: '/home/me/crm.db' });
    expect(electron.ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_PICK_FILE_CHANNEL, { title: 'Choose', defaultPath: '/home/me/crm.db' });
  });

  it('relays only the runtime event (never the IPC event object) and unsubscribes', () => {
    const api = electron.contextBridge.exposeInMainWorld.mock.calls[0]![1] as PreloadApi;
    const listener = vi.fn();
    const off = api.onEvent(listener);
    const [channel, relay] = electron.ipcRenderer.on.mock.calls[0]! as unknown as [string, (e: unknown, v: unknown) => void];
    expect(channel).toBe(IPC_EVENT_CHANNEL);
    relay({ sender: 'ipc internals' }, { type: 'notice', level: 'info', message: 'hi' });
    expect(listener).toHaveBeenCalledExactlyOnceWith({ type: 'notice', level: 'info', message: 'hi' });
    off();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, relay);
  });
});
