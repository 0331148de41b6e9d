export type EditorCommand = 'undo' | 'redo' | 'copy' | 'paste' | 'duplicate' | 'save' | 'open' | 'export' | 'fit-view' | 'new-flow';

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** Whether focus is in a text field, where copy/paste/undo belong to the field. */
  inTextField: boolean;
}

/** The editor command a key press means (Ctrl on Linux/Windows, ⌘ on macOS), or null. */
export function commandFor(e: KeyInput): EditorCommand | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && !e.altKey) {
    if (key === 's') return e.shiftKey ? 'export' : 'save';
    if (key === 'o') return 'open';
    if (e.inTextField) return null;
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (key === 'c') return 'copy';
    if (key === 'v') return 'paste';
    if (key === 'd') return 'duplicate';
    return null;
  }
  if (!mod && !e.altKey && e.shiftKey && key === '!' && !e.inTextField) return 'fit-view';
  return null;
}

/** What each command's shortcut reads as, for tooltips and the help. */
export const SHORTCUT_LABEL: Record<EditorCommand, string> = {
  undo: 'Ctrl+Z',
  redo: 'Ctrl+Shift+Z',
  copy: 'Ctrl+C',
  paste: 'Ctrl+V',
  duplicate: 'Ctrl+D',
  save: 'Ctrl+S',
  open: 'Ctrl+O',
  export: 'Ctrl+Shift+S',
  'fit-view': 'Shift+1',
  'new-flow': '',
};

/**
 * The file name an exported flow gets: its current name made file-safe (a renamed flow exports under
 * the new name; its id never changes), with the `.flow.json` suffix the app opens; the id when the
 * name has no letters or digits.
 */
export function flowFileName(flow: { id: string; name: string }): string {
  const stem = flow.name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `${stem || flow.id}.flow.json`;
}
