import { useReactFlow } from '@xyflow/react';
import { memo, useCallback, useEffect, useMemo, useRef, type ChangeEvent } from 'react';
import { commandFor, SHORTCUT_LABEL, type EditorCommand } from '../editor/shortcuts.js';
import { isDirty, isUntouchedNewFlow, redoable, undoable } from '../state/editor-actions.js';
import { useApp, useAppStore } from '../state/store-context.js';
import { runCommand, type CommandContext } from './editor-commands.js';
import { ToolIcon, type ToolIconName } from './ToolIcons.js';
import { ImportChoiceDialog } from './ImportChoiceDialog.js';

/** Menu items the Electron shell forwards to the page (see electron/main/menu.ts). */
const MENU_EVENT = 'synccanvas:menu';
const MENU_COMMANDS: Record<string, EditorCommand> = { 'open-flow': 'open', save: 'save', undo: 'undo', redo: 'redo' };

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || (target.tagName === 'INPUT' && !['checkbox', 'radio', 'button'].includes((target as HTMLInputElement).type));
}

/** Memoised: the canvas re-renders on every drag step, the toolbar has nothing to redraw then. */
export const CanvasToolbar = memo(function CanvasToolbar() {
  const store = useAppStore();
  const { fitView } = useReactFlow();
  const fileInput = useRef<HTMLInputElement>(null);
  const canUndo = useApp(undoable);
  const canRedo = useApp(redoable);
  const dirty = useApp(isDirty);
  const saveState = useApp((s) => s.saveState);
  const hasSelection = useApp((s) => s.selectedSystemIds.length > 0 || s.selectedSystemId !== null);
  const neverSaved = useApp((s) => s.savedJson === null);
  const untouchedNew = useApp(isUntouchedNewFlow);

  const ctx: CommandContext = useMemo(
    () => ({ store, fitView: () => void fitView({ padding: 0.25, maxZoom: 1.1, duration: 200 }), openFile: () => fileInput.current?.click() }),
    [store, fitView],
  );
  const run = useCallback((command: EditorCommand) => runCommand(command, ctx), [ctx]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const command = commandFor({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, shiftKey: e.shiftKey, altKey: e.altKey, inTextField: isTextField(e.target) });
      if (!command) return;
      e.preventDefault();
      run(command);
    };
    const onMenu = (e: Event) => {
      const command = MENU_COMMANDS[String((e as CustomEvent).detail)];
      if (!command) return;
      // Edit ▸ Undo while typing undoes the typing, as the shortcut does.
      if ((command === 'undo' || command === 'redo') && isTextField(document.activeElement)) {
        document.execCommand(command);
        return;
      }
      run(command);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener(MENU_EVENT, onMenu);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener(MENU_EVENT, onMenu);
    };
  }, [run]);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) store.getState().openFlowText(await file.text(), file.name);
  };

  const deleteSelection = () => {
    const s = store.getState();
    const systems = s.selectedSystemIds.length > 0 ? s.selectedSystemIds : s.selectedSystemId ? [s.selectedSystemId] : [];
    s.removeElements({ systems });
  };

  const saveText =
    saveState.state === 'saving'
      ? 'Saving…'
      : saveState.state === 'error'
        ? saveState.message
        : dirty
          ? untouchedNew
            ? 'Saved once you add a system or name it'
            : neverSaved
              ? 'Not saved yet'
            : 'Unsaved changes'
          : 'All changes saved';

  return (
    <div className="canvas-toolbar" role="toolbar" aria-label="Editing">
      <FlowName />
      <div className="canvas-toolbar__group">
        <ToolButton label="Undo" shortcut={SHORTCUT_LABEL.undo} disabled={!canUndo} onClick={() => run('undo')} icon="undo" />
        <ToolButton label="Redo" shortcut={SHORTCUT_LABEL.redo} disabled={!canRedo} onClick={() => run('redo')} icon="redo" />
      </div>
      <div className="canvas-toolbar__group">
        <ToolButton label="Copy" shortcut={SHORTCUT_LABEL.copy} disabled={!hasSelection} onClick={() => run('copy')} icon="copy" />
        <ToolButton label="Paste" shortcut={SHORTCUT_LABEL.paste} onClick={() => run('paste')} icon="paste" />
        <ToolButton label="Delete" shortcut="Delete" disabled={!hasSelection} onClick={deleteSelection} icon="delete" />
        <ToolButton label="Fit view" shortcut={SHORTCUT_LABEL['fit-view']} onClick={() => run('fit-view')} icon="fit" />
      </div>
      <div className="canvas-toolbar__group">
        <ToolButton label="Open a flow file" shortcut={SHORTCUT_LABEL.open} onClick={() => run('open')} icon="open" />
        <ToolButton label="Export as a flow file" shortcut={SHORTCUT_LABEL.export} onClick={() => run('export')} icon="export" />
        <input ref={fileInput} type="file" accept=".json,application/json" hidden onChange={(e) => void onFile(e)} data-testid="open-flow-file" aria-label="Flow file to open" />
      </div>
      <ImportChoiceDialog />
      <span className={`canvas-toolbar__status${saveState.state === 'error' ? ' canvas-toolbar__status--error' : ''}`} role="status" data-testid="save-status">
        {saveText}
      </span>
      <button type="button" className="button button--primary canvas-toolbar__save" onClick={() => run('save')} disabled={saveState.state === 'saving'} title={`Save to the workspace (${SHORTCUT_LABEL.save})`}>
        Save
      </button>
    </div>
  );
});

function ToolButton({ label, shortcut, icon, disabled, onClick }: { label: string; shortcut: string; icon: ToolIconName; disabled?: boolean; onClick(): void }) {
  return (
    <button type="button" className="tool-button" aria-label={label} title={`${label} (${shortcut})`} disabled={disabled} onClick={onClick}>
      <ToolIcon name={icon} />
    </button>
  );
}

/** The flow's name, edited in place. */
function FlowName() {
  const name = useApp((s) => s.flow?.name ?? '');
  const renameFlow = useApp((s) => s.renameFlow);
  return <input className="input flow-name" aria-label="Flow name" value={name} onChange={(e) => renameFlow(e.target.value)} data-testid="flow-name" spellCheck={false} />;
}
