import { describe, expect, it } from 'vitest';
import { parseFlags } from './flags.js';

describe('parseFlags', () => {
  it('reads --demo and --workspace in both spellings', () => {
    expect(parseFlags(['/usr/bin/electron', 'dist/electron/main.js', '--demo'], {})).toEqual({ demo: true, workspaceDir: null, hidden: false });
    expect(parseFlags(['--workspace=/w'], {})).toEqual({ demo: false, workspaceDir: '/w', hidden: false });
    expect(parseFlags(['--workspace', '/x', '--demo'], {})).toEqual({ demo: true, workspaceDir: '/x', hidden: false });
    // How "Start at login" launches the app: syncing in the tray, no window.
    expect(parseFlags(['--hidden'], {}).hidden).toBe(true);
  });

  it('takes defaults from the environment, flags win', () => {
    expect(parseFlags([], { SYNCCANVAS_DEMO: '1', SYNCCANVAS_WORKSPACE: '/env' })).toEqual({ demo: true, workspaceDir: '/env', hidden: false });
    expect(parseFlags(['--workspace=/flag'], { SYNCCANVAS_WORKSPACE: '/env' }).workspaceDir).toBe('/flag');
  });
});
