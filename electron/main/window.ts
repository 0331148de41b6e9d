import { BrowserWindow, screen } from 'electron';
import { APP_URL } from './app-protocol.js';
import { lockDownWebContents, secureWebPreferences } from './security.js';
import { fitToDisplays, loadWindowState, saveWindowState, type WindowState } from './window-state.js';

export interface MainWindowOptions {
  preloadPath: string;
  windowStateFile: string;
  url?: string;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const state = fitToDisplays(
    loadWindowState(options.windowStateFile),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: 900,
    minHeight: 600,
    title: 'SyncCanvas',
    show: false,
    backgroundColor: '#0f1115',
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  lockDownWebContents(win.webContents);
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  let saveTimer: NodeJS.Timeout | undefined;
  const save = (): void => {
    if (win.isDestroyed()) return;
    const bounds = win.isMaximized() ? win.getNormalBounds() : win.getBounds();
    const next: WindowState = { ...bounds, maximized: win.isMaximized() };
    try {
      saveWindowState(options.windowStateFile, next);
    } catch (error) {
      console.warn('[synccanvas] could not remember the window size:', (error as Error).message);
    }
  };
  const saveSoon = (): void => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 500);
  };
  win.on('resize', saveSoon);
  win.on('move', saveSoon);
  win.on('close', () => {
    clearTimeout(saveTimer);
    save();
  });

  void win.loadURL(options.url ?? APP_URL);
  return win;
}
