import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ session: { defaultSession: null } }));

const { installSessionSecurity, lockDownWebContents, secureWebPreferences } = await import('./security.js');
const { CONTENT_SECURITY_POLICY } = await import('../runtime/api/content-security-policy.js');

type HeadersListener = (details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void;

interface FakeSession {
  headersListener: HeadersListener | null;
  permissionRequest: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | null;
  permissionCheck: (() => boolean) | null;
  webRequest: { onHeadersReceived(l: HeadersListener): void };
  setPermissionRequestHandler(h: FakeSession['permissionRequest']): void;
  setPermissionCheckHandler(h: FakeSession['permissionCheck']): void;
}

function fakeSession(): FakeSession {
  const s: FakeSession = {
    headersListener: null,
    permissionRequest: null,
    permissionCheck: null,
    webRequest: { onHeadersReceived: (l) => void (s.headersListener = l) },
    setPermissionRequestHandler: (h) => void (s.permissionRequest = h),
    setPermissionCheckHandler: (h) => void (s.permissionCheck = h),
  };
  return s;
}

function fakeContents() {
  const emitter = new EventEmitter() as EventEmitter & { openHandler?: (d: { url: string }) => { action: string } };
  return Object.assign(emitter, {
    setWindowOpenHandler(handler: (d: { url: string }) => { action: string }) {
      emitter.openHandler = handler;
    },
  });
}

const navEvent = () => ({ preventDefault: vi.fn() });

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the renderer with no Node access', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toEqual({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    });
  });
});

describe('installSessionSecurity', () => {
  it('puts the strict CSP on every response, replacing any CSP the response had', () => {
    const session = fakeSession();
    installSessionSecurity(session as never);
    const cb = vi.fn();
    session.headersListener!({ responseHeaders: { 'content-security-policy': ["default-src *"], 'X-Other': ['1'] } }, cb);
    const headers = cb.mock.calls[0]![0].responseHeaders as Record<string, string[]>;
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-Other']).toEqual(['1']);
  });

  it('uses a CSP that allows scripts only from the app and forbids eval, plugins, framing and foreign connections', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|http:|https:/);
  });

  it('denies every permission request and check', () => {
    const session = fakeSession();
    installSessionSecurity(session as never);
    const cb = vi.fn();
    session.permissionRequest!(null, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    expect(session.permissionCheck!()).toBe(false);
  });
});

describe('lockDownWebContents', () => {
  it('denies every new window', () => {
    const contents = fakeContents();
    lockDownWebContents(contents as never);
    expect(contents.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'app://synccanvas/index.html' })).toEqual({ action: 'deny' });
  });

  it('blocks navigation and redirects away from the app, and webview attachment', () => {
    const contents = fakeContents();
    lockDownWebContents(contents as never);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://synccanvas.evil/', 'http://127.0.0.1:1234/']) {
      const e = navEvent();
      contents.emit('will-navigate', e, url);
      expect(e.preventDefault, url).toHaveBeenCalled();
      const r = navEvent();
      contents.emit('will-redirect', r, url);
      expect(r.preventDefault, url).toHaveBeenCalled();
    }
    const inApp = navEvent();
    contents.emit('will-navigate', inApp, 'app://synccanvas/index.html');
    expect(inApp.preventDefault).not.toHaveBeenCalled();
    const webview = navEvent();
    contents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });
});
