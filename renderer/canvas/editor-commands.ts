import type { AppStore } from '../state/app-store.js';
import type { EditorCommand } from '../editor/shortcuts.js';
import { flowFileName } from '../editor/shortcuts.js';

/** The in-app clipboard; the system clipboard gets a copy too when the page may write to it. */
let clipboard: string | null = null;

export interface CommandContext {
  store: AppStore;
  fitView(): void;
  openFile(): void;
}

/** Runs one editor command; the toolbar, the shortcuts and the app menu all come through here. */
export function runCommand(command: EditorCommand, ctx: CommandContext): void {
  const s = ctx.store.getState();
  switch (command) {
    case 'undo':
      return s.undo();
    case 'redo':
      return s.redo();
    case 'copy': {
      const text = s.copySelectionText();
      if (!text) return;
      clipboard = text;
      void navigator.clipboard?.writeText(text).catch(() => undefined);
      return;
    }
    case 'paste':
      if (clipboard) s.pasteText(clipboard);
      return;
    case 'duplicate': {
      const text = s.copySelectionText();
      if (text) s.pasteText(text);
      return;
    }
    case 'save':
      void s.save();
      return;
    case 'open':
      return ctx.openFile();
    case 'export':
      return exportFlow(ctx.store);
    case 'fit-view':
      return ctx.fitView();
    case 'new-flow':
      return s.newFlow();
  }
}

/** Downloads the draft as `<name>.flow.json` (the browser's save dialog, or Downloads). */
export function exportFlow(store: AppStore): void {
  const flow = store.getState().flow;
  if (!flow) return;
  const blob = new Blob([`${JSON.stringify(flow, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = flowFileName(flow);
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
