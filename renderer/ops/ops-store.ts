import { createStore } from 'zustand/vanilla';
import type { DlqFilter } from '../../shared/api/contract.js';

export type OpsTab = 'preview' | 'preflight' | 'dlq' | 'dashboard' | 'audit';

export interface OpsState {
  open: boolean;
  tab: OpsTab;
  /** The edge the panel opened on (a badge click, the sync inspector). */
  syncId: string | null;
  /** Filter the DLQ inspector opens with; a new object per opening so it re-applies. */
  dlqFilter: Omit<DlqFilter, 'flowId'>;
}

/**
 * Which operations view is open. Module-level so any part of the UI (the edge's DLQ badge, the sync
 * inspector, the header) can open it without threading props.
 */
export const opsStore = createStore<OpsState>()(() => ({ open: false, tab: 'dlq', syncId: null, dlqFilter: {} }));

export function openOperations(tab: OpsTab, opts: { syncId?: string | null; dlqFilter?: Omit<DlqFilter, 'flowId'> } = {}): void {
  const syncId = opts.syncId ?? null;
  opsStore.setState({ open: true, tab, syncId, dlqFilter: opts.dlqFilter ?? (tab === 'dlq' && syncId ? { syncId } : {}) });
}

export function closeOperations(): void {
  opsStore.setState({ open: false });
}
