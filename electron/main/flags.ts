/**
 * Command-line flags of the desktop app: `--demo` opens the demo workspace (what `npm start` does);
 * `--workspace=<dir>` (or SYNCCANVAS_WORKSPACE) picks the workspace folder, default `<userData>/workspace`;
 * `--hidden` (how "Start at login" launches it) keeps syncing in the tray without opening a window.
 */
export interface AppFlags {
  demo: boolean;
  workspaceDir: string | null;
  hidden: boolean;
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): AppFlags {
  let workspaceDir: string | null = env.SYNCCANVAS_WORKSPACE || null;
  let demo = env.SYNCCANVAS_DEMO === '1';
  let hidden = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--demo') demo = true;
    else if (arg === '--hidden') hidden = true;
    else if (arg.startsWith('--workspace=')) workspaceDir = arg.slice('--workspace='.length) || null;
    else if (arg === '--workspace' && argv[i + 1]) workspaceDir = argv[++i]!;
  }
  return { demo, workspaceDir, hidden };
}
