import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { kind: 'file'; filePath: string; size: number; contentType: string; spaFallback: boolean }
  | { kind: 'bad-request'; message: string }
  | { kind: 'not-found' };

/**
 * Maps a URL path to a file inside `root`, or to root/index.html for client-side routes (a path without
 * a file extension). Anything that resolves outside `root` — `..`, encoded slashes, symlinks — is not found.
 */
export async function lookupStaticFile(root: string, urlPath: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'bad-request', message: 'The URL path is not valid percent-encoding.' };
  }
  if (decoded.includes('\0')) return { kind: 'bad-request', message: 'The URL path contains a NUL byte.' };

  const realRoot = await realpath(root);
  const candidate = path.resolve(realRoot, `.${path.posix.sep}${decoded.replace(/\\/g, '/')}`);
  if (!isInside(realRoot, candidate)) return { kind: 'not-found' };

  const direct = await regularFileInside(realRoot, candidate);
  if (direct) return { kind: 'file', filePath: direct.filePath, size: direct.size, contentType: contentTypeFor(direct.filePath), spaFallback: false };
  const dirIndex = await regularFileInside(realRoot, path.join(candidate, 'index.html'));
  if (dirIndex) return { kind: 'file', filePath: dirIndex.filePath, size: dirIndex.size, contentType: contentTypeFor(dirIndex.filePath), spaFallback: false };

  if (path.extname(decoded) === '') {
    const index = await regularFileInside(realRoot, path.join(realRoot, 'index.html'));
    if (index) return { kind: 'file', filePath: index.filePath, size: index.size, contentType: contentTypeFor(index.filePath), spaFallback: true };
  }
  return { kind: 'not-found' };
}

export function openStaticFile(filePath: string): NodeJS.ReadableStream {
  return createReadStream(filePath);
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

async function regularFileInside(realRoot: string, filePath: string): Promise<{ filePath: string; size: number } | null> {
  try {
    const real = await realpath(filePath);
    if (!isInside(realRoot, real)) return null;
    const info = await stat(real);
    return info.isFile() ? { filePath: real, size: info.size } : null;
  } catch {
    return null;
  }
}
