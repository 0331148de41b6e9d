import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, Menu, shell } from 'electron';
import { openRuntime } from '../runtime/runtime.js';
import { registerAppScheme, serveRendererFrom } from './app-protocol.js';
import { forwardRuntimeEvents, registerIpcHandlers } from './ipc.js';
import { buildMenuTemplate, menuCommandScript, type MenuCommand } from './menu.js';
import { installSessionSecurity, lockDownWebContents } from './security.js';
import { createMainWindow } from './window.js';
import { parseFlags } from './flags.js';

/** Wiring only: start the runtime, serve the UI, route IPC to the runtime API, close the runtime on quit. */
export interface AppPaths {
  /** Folder of main.js and preload.cjs (dist/electron). */
  electronDir: string;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
}

export function startApp(paths: AppPaths, argv: string[] = process.argv): void {
  if (!app.requestSingleInstanceLock()) {
    // Two processes on one workspace database would fight over it; the first window comes forward instead.
    app.quit();
    return;
  }
  registerAppScheme();
  app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents));

  const flags = parseFlags(argv);
  let runtime: Awaited<ReturnType<typeof openRuntime>> | null = null;
  let window: BrowserWindow | null = null;
  let closed = false;

  const sendCommand = (command: MenuCommand): void => {
    const target = BrowserWindow.getFocusedWindow() ?? window;
    if (target && !target.isDestroyed()) void target.webContents.executeJavaScript(menuCommandScript(command));
  };

  const openWindow = (): void => {
    if (!runtime) return;
    window = createMainWindow({ preloadPath: path.join(paths.electronDir, 'preload.cjs'), windowStateFile: path.join(app.getPath('userData'), 'window-state.json') });
    forwardRuntimeEvents(runtime.subscribe, window.webContents);
    window.on('closed', () => {
      window = null;
    });
  };

  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });

  app
    .whenReady()
    .then(async () => {
      installSessionSecurity();
      serveRendererFrom(paths.rendererDir);
      const workspaceDir = flags.workspaceDir ?? path.join(app.getPath('userData'), 'workspace');
      mkdirSync(workspaceDir, { recursive: true });
      // Secrets: the runtime's provider chain (environment, secrets folder, vault, OS keychain).
      runtime = await openRuntime({ workspaceDir, demo: flags.demo });
      registerIpcHandlers({ handlers: runtime.api });
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          buildMenuTemplate({
            isDev: !app.isPackaged,
            isMac: process.platform === 'darwin',
            command: sendCommand,
            openWorkspaceFolder: () => void shell.openPath(workspaceDir),
          }),
        ),
      );
      openWindow();
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) openWindow();
      });
    })
    .catch((error: unknown) => {
      dialog.showErrorBox('SyncCanvas could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // The runtime checkpoints and closes SQLite before the process exits, so a quit never loses an event.
  app.on('before-quit', (event) => {
    if (closed || !runtime) return;
    event.preventDefault();
    const closing = runtime;
    runtime = null;
    closing
      .close()
      .catch((error: unknown) => console.error('[synccanvas] runtime did not close cleanly:', error))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
}
