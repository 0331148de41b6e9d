import { describe, expect, it } from 'vitest';
import { closeOperations, openOperations, opsStore } from './ops-store.js';

describe('operations view state', () => {
  it('opens the DLQ filtered by the edge whose badge was clicked', () => {
    openOperations('dlq', { syncId: 'contacts-customers' });
    expect(opsStore.getState()).toMatchObject({ open: true, tab: 'dlq', syncId: 'contacts-customers', dlqFilter: { syncId: 'contacts-customers' } });
    openOperations('preview', { syncId: 'x' });
    expect(opsStore.getState()).toMatchObject({ tab: 'preview', dlqFilter: {} });
    closeOperations();
    expect(opsStore.getState().open).toBe(false);
  });
});
