import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const electron = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  class FakeWebContents extends EventEmitter {
    openHandler: ((d: { url: string }) => { action: string }) | null = null;
    setWindowOpenHandler(handler: (d: { url: string }) => { action: string }) {
      this.openHandler = handler;
    }
  }
  class FakeBrowserWindow extends EventEmitter {
    static created: FakeBrowserWindow[] = [];
    webContents = new FakeWebContents();
    loadedUrl: string | null = null;
    bounds = { x: 10, y: 20, width: 1000, height: 700 };
    maximized = false;
    constructor(readonly options: Record<string, unknown>) {
      super();
      FakeBrowserWindow.created.push(this);
    }
    loadURL(url: string) {
      this.loadedUrl = url;
      return Promise.resolve();
    }
    isDestroyed() {
      return false;
    }
    isMaximized() {
      return this.maximized;
    }
    maximize() {
      this.maximized = true;
    }
    getBounds() {
      return this.bounds;
    }
    getNormalBounds() {
      return this.bounds;
    }
    show() {}
  }
  return {
    BrowserWindow: FakeBrowserWindow,
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: { defaultSession: null },
    protocol: {},
  };
});
vi.mock('electron', () => electron);

const { createMainWindow } = await import('./window.js');

describe('createMainWindow', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-window-'));
    electron.BrowserWindow.created.length = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a sandboxed, isolated window without Node and loads the app URL', () => {
    const win = createMainWindow({ preloadPath: '/dist/electron/preload.cjs', windowStateFile: path.join(dir, 'window-state.json') }) as unknown as InstanceType<typeof electron.BrowserWindow>;
    const prefs = win.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ preload: '/dist/electron/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
    expect(win.options.show).toBe(false);
    expect(win.loadedUrl).toBe('app://synccanvas/index.html');
    expect(win.webContents.openHandler!({ url: 'https://evil.example' })).toEqual({ action: 'deny' });
    const nav = { preventDefault: vi.fn() };
    win.webContents.emit('will-navigate', nav, 'https://evil.example');
    expect(nav.preventDefault).toHaveBeenCalled();
  });

  it('restores remembered bounds and remembers them again on close', async () => {
    const file = path.join(dir, 'window-state.json');
    await writeFile(file, JSON.stringify({ x: 100, y: 50, width: 1400, height: 900, maximized: false }));
    const win = createMainWindow({ preloadPath: '/p.cjs', windowStateFile: file }) as unknown as InstanceType<typeof electron.BrowserWindow>;
    expect(win.options).toMatchObject({ x: 100, y: 50, width: 1400, height: 900 });
    win.bounds = { x: 200, y: 120, width: 1111, height: 777 };
    win.emit('close');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ x: 200, y: 120, width: 1111, height: 777, maximized: false });
  });
});
