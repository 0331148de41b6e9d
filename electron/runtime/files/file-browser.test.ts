import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseFolder, FileBrowseError } from './file-browser.js';

describe('browseFolder', () => {
  let base: string;
  let home: string;
  let outside: string;
  let roots: { label: string; path: string }[];

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'synccanvas-browse-'));
    home = path.join(base, 'home');
    outside = path.join(base, 'elsewhere');
    await mkdir(path.join(home, 'Documents', 'ünïcode folder'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.db'), 'x');
    await writeFile(path.join(home, 'Documents', 'crm.db'), 'sqlite');
    await writeFile(path.join(home, 'Documents', '.hidden.db'), 'x');
    await writeFile(path.join(home, 'Documents', 'a notes.txt'), 'hello');
    await symlink(outside, path.join(home, 'Documents', 'link-out'));
    roots = [{ label: 'Home', path: home }];
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('lists folders first, then files with their size, without hidden entries', async () => {
    const r = await browseFolder(path.join(home, 'Documents'), roots);
    expect(r.dir).toBe(path.join(home, 'Documents'));
    expect(r.parent).toBe(home);
    expect(r.entries.map((e) => [e.name, e.kind, e.size])).toEqual([
      ['link-out', 'dir', null],
      ['ünïcode folder', 'dir', null],
      ['a notes.txt', 'file', 5],
      ['crm.db', 'file', 6],
    ]);
  });

  it('starts at the first root, and has no parent there', async () => {
    const r = await browseFolder(undefined, roots);
    expect(r.dir).toBe(home);
    expect(r.parent).toBeNull();
  });

  it('a file path opens its folder', async () => {
    const r = await browseFolder(path.join(home, 'Documents', 'crm.db'), roots);
    expect(r.dir).toBe(path.join(home, 'Documents'));
  });

  it('refuses folders outside the roots, also through a symbolic link or ..', async () => {
    for (const p of [outside, path.join(home, 'Documents', 'link-out'), path.join(home, '..', 'elsewhere'), '/']) {
      await expect(browseFolder(p, roots)).rejects.toMatchObject({ reason: 'outside', message: expect.stringContaining(`Home (${home})`) });
    }
    await expect(browseFolder(path.join(home, 'nope'), roots)).rejects.toBeInstanceOf(FileBrowseError);
  });
});
