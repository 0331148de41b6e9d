import { describe, expect, it } from 'vitest';
import { commandFor, flowFileName, type KeyInput } from './shortcuts.js';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, inTextField: false, ...mods });

describe('keyboard shortcuts', () => {
  it('maps the usual editor shortcuts, with Ctrl or ⌘', () => {
    expect(commandFor(key('z', { ctrlKey: true }))).toBe('undo');
    expect(commandFor(key('Z', { metaKey: true, shiftKey: true }))).toBe('redo');
    expect(commandFor(key('y', { ctrlKey: true }))).toBe('redo');
    expect(commandFor(key('c', { ctrlKey: true }))).toBe('copy');
    expect(commandFor(key('v', { ctrlKey: true }))).toBe('paste');
    expect(commandFor(key('s', { ctrlKey: true }))).toBe('save');
    expect(commandFor(key('S', { ctrlKey: true, shiftKey: true }))).toBe('export');
    expect(commandFor(key('!', { shiftKey: true }))).toBe('fit-view');
    expect(commandFor(key('z'))).toBeNull();
  });

  it('leaves undo, copy and paste to a focused text field, but still saves', () => {
    expect(commandFor(key('z', { ctrlKey: true, inTextField: true }))).toBeNull();
    expect(commandFor(key('v', { ctrlKey: true, inTextField: true }))).toBeNull();
    expect(commandFor(key('s', { ctrlKey: true, inTextField: true }))).toBe('save');
  });

  it('names exported files *.flow.json', () => {
    expect(flowFileName({ id: 'demo', name: 'Demo: CRM ↔ Billing' })).toBe('demo-crm-billing.flow.json');
    // A renamed flow keeps its id but exports under its new name.
    expect(flowFileName({ id: 'untitled-flow', name: 'Crème brûlée — orders' })).toBe('creme-brulee-orders.flow.json');
    expect(flowFileName({ id: 'untitled-flow', name: '↔ ↔' })).toBe('untitled-flow.flow.json');
  });
});
