import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_STATE, fitToDisplays, loadWindowState, saveWindowState } from './window-state.js';

describe('window state file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-ws-'));
    file = path.join(dir, 'window-state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('falls back to defaults when the file is missing, corrupt or out of range', async () => {
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
    await writeFile(file, '{"width": 12');
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
    await writeFile(file, JSON.stringify({ width: 10, height: 10 }));
    expect(loadWindowState(file)).toEqual(DEFAULT_WINDOW_STATE);
  });

  it('round-trips bounds atomically', async () => {
    saveWindowState(file, { x: -5, y: 0, width: 1000, height: 800, maximized: true });
    expect(loadWindowState(file)).toEqual({ x: -5, y: 0, width: 1000, height: 800, maximized: true });
    expect(JSON.parse(await readFile(file, 'utf8')).width).toBe(1000);
  });

  it('forgets a position no display shows, keeping the size', () => {
    const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    expect(fitToDisplays({ x: 100, y: 100, width: 1200, height: 800, maximized: false }, displays)).toEqual({ x: 100, y: 100, width: 1200, height: 800, maximized: false });
    expect(fitToDisplays({ x: 3000, y: 100, width: 1200, height: 800, maximized: false }, displays)).toEqual({ width: 1200, height: 800, maximized: false });
  });
});
