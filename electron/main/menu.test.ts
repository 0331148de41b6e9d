import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { buildMenuTemplate, menuCommandScript } from './menu.js';

const labelsOf = (items: MenuItemConstructorOptions[]) => items.map((i) => i.label ?? i.role ?? i.type);
const submenu = (template: MenuItemConstructorOptions[], label: string) => template.find((i) => i.label === label || i.role === label)!.submenu as MenuItemConstructorOptions[];

describe('application menu', () => {
  it('has File, Edit, View and Help with the usual shortcuts', () => {
    const command = vi.fn();
    const template = buildMenuTemplate({ isDev: false, isMac: false, command, openWorkspaceFolder: () => {} });
    expect(template.map((i) => i.label ?? i.role)).toEqual(['File', 'Edit', 'View', 'help']);
    const file = submenu(template, 'File');
    expect(file.map((i) => i.accelerator).filter(Boolean)).toEqual(['CmdOrCtrl+O', 'CmdOrCtrl+S']);
    expect(labelsOf(file)).toEqual(['Open Flow…', 'Save', 'separator', 'quit']);
    (file[1]!.click as () => void)();
    expect(command).toHaveBeenCalledWith('save');
    const edit = submenu(template, 'Edit');
    expect(labelsOf(edit)).toEqual(['Undo', 'Redo', 'separator', 'cut', 'copy', 'paste', 'selectAll']);
    // The page handles Ctrl+Z itself (canvas history or text field); the menu only shows the keys.
    expect(edit.slice(0, 2).map((i) => [i.accelerator, i.registerAccelerator])).toEqual([
      ['CmdOrCtrl+Z', false],
      ['CmdOrCtrl+Shift+Z', false],
    ]);
    (edit[1]!.click as () => void)();
    expect(command).toHaveBeenCalledWith('redo');
    expect(labelsOf(submenu(template, 'View'))).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen']);
  });

  it('offers reload and dev tools only in development', () => {
    const template = buildMenuTemplate({ isDev: true, isMac: false, command: () => {}, openWorkspaceFolder: () => {} });
    expect(labelsOf(submenu(template, 'View')).slice(0, 2)).toEqual(['reload', 'toggleDevTools']);
  });

  it('puts Quit in the app menu on macOS', () => {
    const template = buildMenuTemplate({ isDev: false, isMac: true, command: () => {}, openWorkspaceFolder: () => {} });
    expect(labelsOf(submenu(template, 'SyncCanvas'))).toContain('quit');
  });

  it('delivers commands to the page as a DOM event with a JSON-encoded detail', () => {
    expect(menuCommandScript('open-flow')).toBe(`window.dispatchEvent(new CustomEvent('synccanvas:menu', { detail: "open-flow" }))`);
  });
});
