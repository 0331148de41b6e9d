import type { MenuItemConstructorOptions } from 'electron';

/** Menu commands the renderer carries out (it owns the open document); main only forwards them. */
export type MenuCommand = 'open-flow' | 'save' | 'undo' | 'redo';

export interface MenuActions {
  isDev: boolean;
  isMac: boolean;
  command(command: MenuCommand): void;
  openWorkspaceFolder(): void;
}

export function buildMenuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  const template: MenuItemConstructorOptions[] = [];
  if (actions.isMac) {
    template.push({
      label: 'SyncCanvas',
      submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
    });
  }
  template.push(
    {
      label: 'File',
      submenu: [
        { label: 'Open Flow…', accelerator: 'CmdOrCtrl+O', click: () => actions.command('open-flow') },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => actions.command('save') },
        { type: 'separator' },
        actions.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'Edit',
      // Undo/redo belong to the page (the canvas has its own history; a text field its own): the
      // shortcut is shown but not registered, so the key reaches the page, and a click sends a command.
      submenu: [
        { label: 'Undo', accelerator: 'CmdOrCtrl+Z', registerAccelerator: false, click: () => actions.command('undo') },
        { label: 'Redo', accelerator: 'CmdOrCtrl+Shift+Z', registerAccelerator: false, click: () => actions.command('redo') },
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'View',
      submenu: [
        ...(actions.isDev ? ([{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      role: 'help',
      submenu: [{ label: 'Open Workspace Folder', click: () => actions.openWorkspaceFolder() }, ...(actions.isMac ? [] : [{ role: 'about' } as MenuItemConstructorOptions])],
    },
  );
  return template;
}

/** Delivered as a DOM event the renderer listens for: `window.addEventListener('synccanvas:menu', e => e.detail)`. */
export function menuCommandScript(command: MenuCommand): string {
  return `window.dispatchEvent(new CustomEvent('synccanvas:menu', { detail: ${JSON.stringify(command)} }))`;
}
