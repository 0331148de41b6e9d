import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** A folder the browser may show, with the name the dialog gives it. */
export interface BrowseRoot {
  label: string;
  path: string;
}

export interface BrowseEntry {
  name: string;
  path: string;
  kind: 'dir' | 'file';
  size: number | null;
}

export interface BrowseResult {
  dir: string;
  /** The folder above, or null at a root (the browser never leaves its roots). */
  parent: string | null;
  roots: BrowseRoot[];
  entries: BrowseEntry[];
}

export class FileBrowseError extends Error {
  constructor(
    readonly reason: 'outside' | 'missing',
    message: string,
  ) {
    super(message);
    this.name = 'FileBrowseError';
  }
}

const MAX_ENTRIES = 2000;

const inside = (child: string, root: string) => child === root || child.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/**
 * Lists one folder for the server-side file picker (browser mode, `synccanvas serve`): folders first,
 * then files, hidden entries left out. Only folders inside the roots (the user's home and the
 * workspace) can be listed, compared after resolving symbolic links, so a link cannot lead out.
 */
export async function browseFolder(requested: string | undefined, roots: BrowseRoot[]): Promise<BrowseResult> {
  const realRoots = await Promise.all(roots.map(async (r) => ({ label: r.label, path: await realpath(r.path).catch(() => path.resolve(r.path)) })));
  const wanted = requested ? path.resolve(requested) : realRoots[0]!.path;
  let dir: string;
  try {
    dir = await realpath(wanted);
    if (!(await stat(dir)).isDirectory()) dir = path.dirname(dir);
  } catch {
    throw new FileBrowseError('missing', `there is no folder ${wanted}`);
  }
  const within = (p: string) => realRoots.some((r) => inside(p, r.path));
  if (!within(dir)) throw new FileBrowseError('outside', `the file picker only shows folders inside ${realRoots.map((r) => `${r.label} (${r.path})`).join(' or ')}`);

  const names = await readdir(dir, { withFileTypes: true });
  const entries: BrowseEntry[] = [];
  for (const d of names) {
    if (d.name.startsWith('.')) continue;
    const full = path.join(dir, d.name);
    let isDir = d.isDirectory();
    let size: number | null = null;
    if (d.isSymbolicLink() || d.isFile()) {
      const s = await stat(full).catch(() => null);
      if (!s) continue;
      isDir = s.isDirectory();
      if (s.isFile()) size = s.size;
    } else if (!isDir) continue;
    entries.push({ name: d.name, path: full, kind: isDir ? 'dir' : 'file', size });
  }
  entries.sort((x, y) => (x.kind === y.kind ? x.name.localeCompare(y.name) : x.kind === 'dir' ? -1 : 1));
  return {
    dir,
    parent: path.dirname(dir) !== dir && within(path.dirname(dir)) ? path.dirname(dir) : null,
    roots: realRoots,
    entries: entries.slice(0, MAX_ENTRIES),
  };
}
