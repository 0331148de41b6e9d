import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { PreloadApi, RuntimeEvent } from '../../shared/api/contract.js';

/**
 * The only bridge between the sandboxed page and the app: `window.synccanvas`, three functions.
 * Nothing of ipcRenderer itself (nor the IPC event objects) reaches the page.
 *
 * The channel names are spelled here rather than imported: importing values from the contract
 * would bundle zod into every window's preload (~750 kB). preload.test.ts checks they match.
 */
export const CALL_CHANNEL = 'synccanvas:call';
export const EVENT_CHANNEL = 'synccanvas:event';
export const PICK_FILE_CHANNEL = 'synccanvas:pick-file';

const api: PreloadApi = {
  call: (method, input) => ipcRenderer.invoke(CALL_CHANNEL, { method, input }),
  pickFile: (request) => ipcRenderer.invoke(PICK_FILE_CHANNEL, request),
  onEvent(listener) {
    const relay = (_event: IpcRendererEvent, runtimeEvent: RuntimeEvent): void => listener(runtimeEvent);
    ipcRenderer.on(EVENT_CHANNEL, relay);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, relay);
    };
  },
};

contextBridge.exposeInMainWorld('synccanvas', api);
