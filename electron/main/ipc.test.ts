import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, IPC_PICK_FILE_CHANNEL, type RuntimeEvent } from '../../shared/api/contract.js';
import type { ApiHandlers } from '../runtime/api/handlers.js';

const electron = vi.hoisted(() => ({
  ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
  dialog: { showOpenDialog: vi.fn(async (..._args: unknown[]) => ({ canceled: false, filePaths: ['/home/me/Documents/crm.db'] })) },
  BrowserWindow: { fromWebContents: vi.fn((_contents: unknown): unknown => ({ id: 1 })) },
}));
vi.mock('electron', () => electron);

const { forwardRuntimeEvents, handlePickFile, registerFilePicker, registerIpcHandlers } = await import('./ipc.js');

type Registered = (event: unknown, payload: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string; issues?: { path: string }[] } }>;

const appFrame = { senderFrame: { url: 'app://synccanvas/index.html' } };

function setup() {
  const dlqGet = vi.fn(async ({ id }: { id: number }) => ({ id }));
  const handlers = new Proxy({ 'dlq.get': dlqGet } as Record<string, unknown>, {
    get: (target, key: string) => target[key] ?? vi.fn(async () => 'other'),
  }) as unknown as ApiHandlers;
  const dispose = registerIpcHandlers({ handlers, logError: () => {} });
  expect(electron.ipcMain.handle).toHaveBeenCalledTimes(1);
  const [channel, registered] = electron.ipcMain.handle.mock.calls[0]! as [string, Registered];
  return { channel, registered, dlqGet, dispose };
}

describe('IPC handler table', () => {
  beforeEach(() => {
    electron.ipcMain.handle.mockClear();
    electron.ipcMain.removeHandler.mockClear();
  });

  it('registers exactly one handler, on the call channel, and can remove it', () => {
    const { channel, dispose } = setup();
    expect(channel).toBe(IPC_CALL_CHANNEL);
    dispose();
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledWith(IPC_CALL_CHANNEL);
  });

  it('calls the handler with the parsed input and returns {ok: true, value}', async () => {
    const { registered, dlqGet } = setup();
    expect(await registered(appFrame, { method: 'dlq.get', input: { id: 7 } })).toEqual({ ok: true, value: { id: 7 } });
    expect(dlqGet).toHaveBeenCalledExactlyOnceWith({ id: 7 });
  });

  it('rejects an unknown method without calling any handler', async () => {
    const { registered, dlqGet } = setup();
    for (const method of ['dlq.nuke', 'constructor', '__proto__', 'toString']) {
      const result = await registered(appFrame, { method, input: {} });
      expect(result, method).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(result.error!.message).toMatch(/Unknown API method/);
    }
    expect(dlqGet).not.toHaveBeenCalled();
  });

  it('rejects bad input for a known method with the issues, without calling the handler', async () => {
    const { registered, dlqGet } = setup();
    const result = await registered(appFrame, { method: 'dlq.get', input: { id: 'seven' } });
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(result.error!.issues![0]!.path).toBe('id');
    expect(result.error!.message).toMatch(/Invalid input for dlq\.get: id/);
    expect(dlqGet).not.toHaveBeenCalled();
  });

  it('rejects a malformed envelope without calling the handler', async () => {
    const { registered, dlqGet } = setup();
    for (const payload of [null, 'dlq.get', 42, [], { input: { id: 1 } }, { method: 3, input: {} }, { method: 'dlq.get', input: { id: 1 }, extra: true }]) {
      const result = await registered(appFrame, payload);
      expect(result, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    }
    expect(dlqGet).not.toHaveBeenCalled();
  });

  it('refuses calls from frames that are not the app', async () => {
    const { registered, dlqGet } = setup();
    for (const event of [{ senderFrame: { url: 'https://evil.example/' } }, { senderFrame: null }, {}]) {
      expect(await registered(event, { method: 'dlq.get', input: { id: 1 } })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(dlqGet).not.toHaveBeenCalled();
  });

  it('forwards runtime events to the window until it is destroyed', () => {
    const listeners = new Set<(e: RuntimeEvent) => void>();
    const subscribe = (l: (e: RuntimeEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    };
    const contents = Object.assign(new EventEmitter(), { send: vi.fn(), isDestroyed: () => false });
    forwardRuntimeEvents(subscribe, contents as never);
    const event: RuntimeEvent = { type: 'notice', level: 'warning', message: 'lagging' };
    for (const l of listeners) l(event);
    expect(contents.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, event);
    contents.emit('destroyed');
    expect(listeners.size).toBe(0);
  });
});

describe('native file picker', () => {
  beforeEach(() => {
    electron.dialog.showOpenDialog.mockClear();
    electron.ipcMain.handle.mockClear();
  });
  const event = { ...appFrame, sender: { id: 'contents' } } as never;

  it('opens the dialog on the calling window and answers the chosen path', async () => {
    expect(await handlePickFile(event, { title: 'Choose the file for “Path”', defaultPath: '/home/me/crm.db' })).toBe('/home/me/Documents/crm.db');
    expect(electron.BrowserWindow.fromWebContents).toHaveBeenCalledWith({ id: 'contents' });
    const [window, options] = electron.dialog.showOpenDialog.mock.calls[0]! as [unknown, { title: string; defaultPath: string; properties: string[] }];
    expect(window).toEqual({ id: 1 });
    expect(options).toMatchObject({ title: 'Choose the file for “Path”', defaultPath: '/home/me/crm.db', properties: ['openFile'] });
  });

  it('answers null when cancelled, for a malformed request and for a frame that is not ours', async () => {
    electron.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    expect(await handlePickFile(event, { title: 'Choose' })).toBeNull();
    expect(await handlePickFile(event, { title: '', extra: 1 })).toBeNull();
    expect(await handlePickFile({ senderFrame: { url: 'https://evil.example' }, sender: {} } as never, { title: 'Choose' })).toBeNull();
    expect(electron.dialog.showOpenDialog).toHaveBeenCalledTimes(1);
  });

  it('registers on its own channel', () => {
    const dispose = registerFilePicker();
    expect(electron.ipcMain.handle.mock.calls[0]![0]).toBe(IPC_PICK_FILE_CHANNEL);
    dispose();
    expect(electron.ipcMain.removeHandler).toHaveBeenCalledWith(IPC_PICK_FILE_CHANNEL);
  });
});
