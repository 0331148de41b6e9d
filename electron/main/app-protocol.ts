import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../runtime/api/content-security-policy.js';
import { lookupStaticFile } from '../runtime/api/http-static.js';

/**
 * The UI is served from `app://synccanvas/` rather than file://: a standard, secure origin gives the
 * renderer a real 'self' for the CSP, the same absolute asset paths as browser mode, and no access to
 * the rest of the disk.
 */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://synccanvas`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
}

export function serveRendererFrom(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => respondFromDir(rendererDir, request.url));
}

export function isAppUrl(url: string | undefined | null): boolean {
  return typeof url === 'string' && (url === APP_ORIGIN || url.startsWith(`${APP_ORIGIN}/`));
}

export async function respondFromDir(rendererDir: string, requestUrl: string): Promise<Response> {
  if (!isAppUrl(requestUrl)) return new Response('Not found', { status: 404 });
  const found = await lookupStaticFile(rendererDir, new URL(requestUrl).pathname);
  if (found.kind === 'bad-request') return new Response(found.message, { status: 400 });
  if (found.kind === 'not-found') return new Response('Not found', { status: 404 });
  return new Response(await readFile(found.filePath), {
    status: 200,
    headers: { 'Content-Type': found.contentType, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
  });
}
