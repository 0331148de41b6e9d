import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, Menu, Notification, shell } from 'electron';
import type { FlowStatus } from '../../shared/api/contract.js';
import { watchAlertsInBackground } from './alert-notifier.js';
import { registerAppScheme, serveRendererFrom } from './app-protocol.js';
import { forwardRuntimeEvents, registerFilePicker, registerIpcHandlers } from './ipc.js';
import { buildMenuTemplate, menuCommandScript, type MenuCommand } from './menu.js';
import { RuntimeProcess } from './runtime-process.js';
import { installSessionSecurity, lockDownWebContents } from './security.js';
import { createTray } from './tray.js';
import { trayState } from './tray-state.js';
import { createMainWindow } from './window.js';
import { parseFlags } from './flags.js';

/**
 * Wiring only: the runtime runs in its own process (RuntimeProcess), the window talks to it through
 * the validated IPC table, the tray keeps the app (and syncing) alive with no window open, and OS
 * notifications report alerts. Quit drains the runtime and closes it.
 */
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
  let runtime: RuntimeProcess | null = null;
  let window: BrowserWindow | null = null;
  let quitting = false;
  let closed = false;
  let pausedFlows: string[] = [];
  let lastStatus: FlowStatus[] = [];
  let tray: ReturnType<typeof createTray> | null = null;

  const notify = (body: string) => {
    if (Notification.isSupported()) new Notification({ title: 'SyncCanvas', body }).show();
  };

  const sendCommand = (command: MenuCommand): void => {
    const target = BrowserWindow.getFocusedWindow() ?? window;
    if (target && !target.isDestroyed()) void target.webContents.executeJavaScript(menuCommandScript(command));
  };

  const openWindow = (): void => {
    if (!runtime) return;
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
      return;
    }
    window = createMainWindow({ preloadPath: path.join(paths.electronDir, 'preload.cjs'), windowStateFile: path.join(app.getPath('userData'), 'window-state.json') });
    forwardRuntimeEvents((l) => runtime!.subscribe(l), window.webContents);
    window.on('closed', () => {
      window = null;
    });
  };

  const refreshTray = () => tray?.update(trayState(lastStatus, pausedFlows.length > 0), pausedFlows.length > 0);

  const togglePause = async (): Promise<void> => {
    if (!runtime) return;
    if (pausedFlows.length > 0) {
      for (const flowId of pausedFlows) await runtime.call('flows.start', { flowId });
      pausedFlows = [];
    } else {
      const flows = await runtime.call('flows.list', {});
      if (!flows.ok) return;
      pausedFlows = (flows.value as { id: string; running: boolean }[]).filter((f) => f.running).map((f) => f.id);
      for (const flowId of pausedFlows) await runtime.call('flows.stop', { flowId });
    }
    refreshTray();
  };

  app.on('second-instance', () => openWindow());

  app
    .whenReady()
    .then(async () => {
      installSessionSecurity();
      serveRendererFrom(paths.rendererDir);
      const workspaceDir = flags.workspaceDir ?? path.join(app.getPath('userData'), 'workspace');
      mkdirSync(workspaceDir, { recursive: true });
      runtime = new RuntimeProcess({
        hostPath: path.join(paths.electronDir, '..', 'runtime', 'host.js'),
        workspaceDir,
        demo: flags.demo,
        onRestart: notify,
        onGiveUp: (message) => {
          notify(message);
          dialog.showErrorBox('SyncCanvas stopped syncing', message);
        },
      });
      await runtime.start();
      registerIpcHandlers({ handlers: runtime.handlers() });
      registerFilePicker();
      runtime.subscribe((event) => {
        if (event.type !== 'status') return;
        lastStatus = event.flows;
        refreshTray();
      });
      const client = { call: async (method: string, input: unknown) => {
        const r = await runtime!.call(method, input);
        if (!r.ok) throw new Error(r.error.message);
        return r.value;
      } } as unknown as Parameters<typeof watchAlertsInBackground>[0];
      watchAlertsInBackground(client);
      tray = createTray(path.join(paths.electronDir, '..', '..', 'assets', 'icon.png'), {
        open: openWindow,
        togglePause: () => void togglePause(),
        quit: () => app.quit(),
        startAtLogin: {
          get: () => app.getLoginItemSettings().openAtLogin,
          set: (on) => app.setLoginItemSettings({ openAtLogin: on, args: ['--hidden'] }),
        },
      });
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
      if (!flags.hidden) openWindow();
      app.on('activate', () => openWindow());
    })
    .catch((error: unknown) => {
      dialog.showErrorBox('SyncCanvas could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });

  // Closing the last window keeps the runtime syncing: the tray icon stays, Quit ends it.
  app.on('window-all-closed', () => {
    if (!quitting && tray) return;
    app.quit();
  });

  // The runtime applies what is ready, checkpoints and closes SQLite before the app exits, so a quit never loses an event.
  app.on('before-quit', (event) => {
    quitting = true;
    if (closed || !runtime) return;
    event.preventDefault();
    const closing = runtime;
    runtime = null;
    closing
      .close()
      .catch((error: unknown) => console.error('[synccanvas] runtime did not close cleanly:', error))
      .finally(() => {
        closed = true;
        tray?.destroy();
        app.quit();
      });
  });
}
