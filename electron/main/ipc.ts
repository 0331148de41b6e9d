import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { z } from 'zod';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL, IPC_PICK_FILE_CHANNEL, PickFileRequestSchema, type RuntimeEvent } from '../../shared/api/contract.js';
import { zodIssues } from '../../shared/flow/validate.js';
import { dispatchApiCall, type CallResult, type DispatchOptions } from '../runtime/api/dispatch.js';
import type { ApiHandlers } from '../runtime/api/handlers.js';
import { isAppUrl } from './app-protocol.js';

/**
 * The one IPC handler table. Every call from the renderer arrives on IPC_CALL_CHANNEL as
 * `{method, input}`; the envelope, the method name and the input are validated (zod) before any
 * handler runs, exactly as over HTTP (see runtime/api/dispatch.ts).
 */
const CallEnvelope = z.object({ method: z.string().min(1).max(100), input: z.unknown() }).strict();

export interface IpcOptions {
  handlers: ApiHandlers;
  /** Only our own page may call; defaults to frames served from app://synccanvas. */
  isTrustedSender?: (event: IpcMainInvokeEvent) => boolean;
  logError?: DispatchOptions['logError'];
}

export function isAppFrame(event: IpcMainInvokeEvent): boolean {
  return isAppUrl(event.senderFrame?.url);
}

export async function handleIpcCall(options: IpcOptions, event: IpcMainInvokeEvent, payload: unknown): Promise<CallResult> {
  if (!(options.isTrustedSender ?? isAppFrame)(event)) {
    return { ok: false, error: { code: 'unauthorized', message: 'IPC calls are accepted only from the SyncCanvas window.' } };
  }
  const envelope = CallEnvelope.safeParse(payload);
  if (!envelope.success) {
    return { ok: false, error: { code: 'bad_request', message: 'An IPC call must be an object {method, input} with a method name.', issues: zodIssues(envelope.error) } };
  }
  return dispatchApiCall(options.handlers, envelope.data.method, envelope.data.input, options.logError ? { logError: options.logError } : {});
}

/** Registers the single call handler; returns a function that removes it. */
export function registerIpcHandlers(options: IpcOptions): () => void {
  ipcMain.handle(IPC_CALL_CHANNEL, (event, payload: unknown) => handleIpcCall(options, event, payload));
  return () => ipcMain.removeHandler(IPC_CALL_CHANNEL);
}

/**
 * The native open-file dialog for path fields (a SQLite database): the page names a title and a
 * starting path, the user picks; the answer is the path or null (cancelled, or not our window).
 */
export async function handlePickFile(event: IpcMainInvokeEvent, payload: unknown, isTrustedSender: (event: IpcMainInvokeEvent) => boolean = isAppFrame): Promise<string | null> {
  if (!isTrustedSender(event)) return null;
  const request = PickFileRequestSchema.safeParse(payload);
  if (!request.success) return null;
  const options = {
    title: request.data.title,
    ...(request.data.defaultPath ? { defaultPath: request.data.defaultPath } : {}),
    properties: ['openFile' as const],
    filters: [
      { name: 'SQLite databases', extensions: ['db', 'sqlite', 'sqlite3', 'db3'] },
      { name: 'All files', extensions: ['*'] },
    ],
  };
  const window = BrowserWindow.fromWebContents(event.sender);
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

export function registerFilePicker(): () => void {
  ipcMain.handle(IPC_PICK_FILE_CHANNEL, (event, payload: unknown) => handlePickFile(event, payload));
  return () => ipcMain.removeHandler(IPC_PICK_FILE_CHANNEL);
}

/** Pushes runtime events to a window until it closes or the returned function is called. */
export function forwardRuntimeEvents(subscribe: (listener: (event: RuntimeEvent) => void) => () => void, contents: WebContents): () => void {
  const unsubscribe = subscribe((event) => {
    if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, event);
  });
  contents.once('destroyed', unsubscribe);
  return unsubscribe;
}
