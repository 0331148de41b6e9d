import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => ({ protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() } }));
vi.mock('electron', () => electron);

const { APP_URL, registerAppScheme, respondFromDir, serveRendererFrom } = await import('./app-protocol.js');
const { CONTENT_SECURITY_POLICY } = await import('../runtime/api/content-security-policy.js');

describe('app:// protocol', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'synccanvas-proto-'));
    await mkdir(path.join(dir, 'ui', 'assets'), { recursive: true });
    await writeFile(path.join(dir, 'ui', 'index.html'), '<title>ui</title>');
    await writeFile(path.join(dir, 'ui', 'assets', 'a.js'), 'x');
    await writeFile(path.join(dir, 'secret.txt'), 'TOP-SECRET');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers a standard, secure scheme and one handler', () => {
    registerAppScheme();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
    serveRendererFrom(dir);
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
  });

  it('serves the renderer with the CSP, falls back to index.html for routes, and never leaves the folder', async () => {
    const ui = path.join(dir, 'ui');
    const index = await respondFromDir(ui, APP_URL);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await respondFromDir(ui, 'app://synccanvas/assets/a.js')).headers.get('content-type')).toMatch(/javascript/);
    expect(await (await respondFromDir(ui, 'app://synccanvas/flows/x')).text()).toBe('<title>ui</title>');
    for (const url of ['app://synccanvas/..%2fsecret.txt', 'app://synccanvas/%2e%2e/secret.txt', 'app://other/index.html']) {
      const res = await respondFromDir(ui, url);
      expect(await res.text(), url).not.toContain('TOP-SECRET');
    }
  });
});
