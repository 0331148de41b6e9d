import { describe, expect, it, vi } from 'vitest';

type Item = { label?: string; type?: string; enabled?: boolean; checked?: boolean; click?: (item: { checked: boolean }) => void };
const electron = vi.hoisted(() => {
  const trays: { tooltip: string; menu: Item[]; handlers: Record<string, () => void>; destroyed: boolean }[] = [];
  class Tray {
    state = { tooltip: '', menu: [] as Item[], handlers: {} as Record<string, () => void>, destroyed: false };
    constructor() {
      trays.push(this.state);
    }
    setToolTip(t: string) {
      this.state.tooltip = t;
    }
    setContextMenu(m: { items: Item[] }) {
      this.state.menu = m.items;
    }
    on(event: string, fn: () => void) {
      this.state.handlers[event] = fn;
    }
    destroy() {
      this.state.destroyed = true;
    }
  }
  return {
    trays,
    Tray,
    Menu: { buildFromTemplate: (items: Item[]) => ({ items }) },
    nativeImage: { createFromPath: () => ({ resize: () => ({}) }) },
  };
});
vi.mock('electron', () => electron);
const { createTray } = await import('./tray.js');

describe('tray', () => {
  it('shows the state, and offers Open, Pause all / Resume all, Start at login and Quit', () => {
    const actions = { open: vi.fn(), togglePause: vi.fn(), quit: vi.fn(), startAtLogin: { get: vi.fn(() => false), set: vi.fn() } };
    const tray = createTray('icon.png', actions);
    const state = electron.trays.at(-1)!;
    tray.update('attention', false);
    expect(state.tooltip).toBe('SyncCanvas — Needs attention');
    const byLabel = (l: string) => state.menu.find((i) => i.label === l)!;
    expect(state.menu[0]).toMatchObject({ label: 'SyncCanvas: Needs attention', enabled: false });
    byLabel('Open SyncCanvas').click!({ checked: false });
    byLabel('Pause all').click!({ checked: false });
    byLabel('Start at login').click!({ checked: true });
    byLabel('Quit SyncCanvas').click!({ checked: false });
    expect(actions.open).toHaveBeenCalledOnce();
    expect(actions.togglePause).toHaveBeenCalledOnce();
    expect(actions.startAtLogin.set).toHaveBeenCalledWith(true);
    expect(actions.quit).toHaveBeenCalledOnce();
    tray.update('paused', true);
    expect(state.menu.some((i) => i.label === 'Resume all')).toBe(true);
    state.handlers.click!();
    expect(actions.open).toHaveBeenCalledTimes(2);
    tray.destroy();
    expect(state.destroyed).toBe(true);
  });
});
