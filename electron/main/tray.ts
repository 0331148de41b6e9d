import { Menu, nativeImage, Tray } from 'electron';
import { TRAY_LABEL, type TrayState } from './tray-state.js';

export interface TrayActions {
  open(): void;
  /** Pause every running flow, or resume the ones that were paused. */
  togglePause(): void;
  quit(): void;
  startAtLogin: { get(): boolean; set(on: boolean): void };
}

/**
 * The tray (menu-bar) icon that stays while no window is open: the overall state in its tooltip and
 * first menu line, and Open, Pause all / Resume all, Start at login and Quit.
 */
export function createTray(iconPath: string, actions: TrayActions): { update(state: TrayState, paused: boolean): void; destroy(): void } {
  const tray = new Tray(nativeImage.createFromPath(iconPath).resize({ width: 16, height: 16 }));
  const update = (state: TrayState, paused: boolean): void => {
    tray.setToolTip(`SyncCanvas — ${TRAY_LABEL[state]}`);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: `SyncCanvas: ${TRAY_LABEL[state]}`, enabled: false },
        { type: 'separator' },
        { label: 'Open SyncCanvas', click: () => actions.open() },
        { label: paused ? 'Resume all' : 'Pause all', click: () => actions.togglePause() },
        { label: 'Start at login', type: 'checkbox', checked: actions.startAtLogin.get(), click: (item) => actions.startAtLogin.set(item.checked) },
        { type: 'separator' },
        { label: 'Quit SyncCanvas', click: () => actions.quit() },
      ]),
    );
  };
  tray.on('click', () => actions.open());
  update('idle', false);
  return { update, destroy: () => tray.destroy() };
}
