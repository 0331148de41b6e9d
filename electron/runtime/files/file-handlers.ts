import { stat } from 'node:fs/promises';
import os from 'node:os';
import type { ApiHandlers } from '../api/handlers.js';
import { ApiError } from '../api/handlers.js';
import { resolveDatabasePath } from '../connectors/sqlite/config.js';
import { browseFolder, FileBrowseError } from './file-browser.js';

/**
 * The API behind the path fields of the connection forms: browse folders (browser mode has no native
 * dialog) and say which file a typed path means, with the same rule the connectors use.
 */
export function fileHandlers(options: { workspaceDir: string; dataDir: string; home?: string }): Pick<ApiHandlers, 'files.browse' | 'files.resolve'> {
  const home = options.home ?? os.homedir();
  const roots = [
    { label: 'Home', path: home },
    { label: 'Workspace', path: options.workspaceDir },
  ];
  return {
    'files.browse': async ({ path }) => {
      try {
        return await browseFolder(path ? resolveDatabasePath(path, options.dataDir, home) : undefined, roots);
      } catch (e) {
        if (e instanceof FileBrowseError) throw new ApiError(e.reason === 'outside' ? 'forbidden' : 'not_found', e.message);
        throw e;
      }
    },
    'files.resolve': async ({ path }) => {
      const resolved = resolveDatabasePath(path.trim(), options.dataDir, home);
      const exists = await stat(resolved).then(
        (s) => s.isFile(),
        () => false,
      );
      return { path: resolved, base: options.dataDir, exists };
    },
  };
}
