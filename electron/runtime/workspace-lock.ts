import fs from 'node:fs';
import path from 'node:path';

/**
 * One runtime per workspace: two engines applying the same inbox would apply changes twice.
 * A pid file taken with O_EXCL; a stale one (its process is gone, e.g. after SIGKILL) is taken over.
 */
export class WorkspaceLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockedBy(workspaceDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(workspaceDir, 'runtime.lock'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function acquireWorkspaceLock(workspaceDir: string): () => void {
  fs.mkdirSync(workspaceDir, { recursive: true });
  const file = path.join(workspaceDir, 'runtime.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockedBy(workspaceDir);
      if (holder !== null && holder !== process.pid) {
        throw new WorkspaceLockedError(`another SyncCanvas runtime (pid ${holder}) is using the workspace ${workspaceDir}: stop it first, or choose another workspace with --workspace`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new WorkspaceLockedError(`could not lock the workspace ${workspaceDir}`);
}
