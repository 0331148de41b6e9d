import { describe, expect, it } from 'vitest';
import { parseFlags } from './flags.js';

describe('parseFlags', () => {
  it('reads --demo and --workspace in both spellings', () => {
    expect(parseFlags(['/usr/bin/electron', 'dist/electron/main.js', '--demo'], {})).toEqual({ demo: true, workspaceDir: null });
    expect(parseFlags(['--workspace=/w'], {})).toEqual({ demo: false, workspaceDir: '/w' });
    expect(parseFlags(['--workspace', '/x', '--demo'], {})).toEqual({ demo: true, workspaceDir: '/x' });
  });

  it('takes defaults from the environment, flags win', () => {
    expect(parseFlags([], { SYNCCANVAS_DEMO: '1', SYNCCANVAS_WORKSPACE: '/env' })).toEqual({ demo: true, workspaceDir: '/env' });
    expect(parseFlags(['--workspace=/flag'], { SYNCCANVAS_WORKSPACE: '/env' }).workspaceDir).toBe('/flag');
  });
});
