import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from './memory-store.js';

describe('MemorySecretStore', () => {
  it('stores, reads, overwrites and deletes secrets by name', async () => {
    const store = new MemorySecretStore({ 'crm.token': 'a' });
    expect(await store.get('crm.token')).toBe('a');
    expect(await store.get('billing.key')).toBeNull();
    await store.set('crm.token', 'b');
    expect(await store.get('crm.token')).toBe('b');
    expect(await store.delete('crm.token')).toBe(true);
    expect(await store.delete('crm.token')).toBe(false);
    expect(await store.get('crm.token')).toBeNull();
  });

  it('says it is available and that it is for tests only', async () => {
    const status = await new MemorySecretStore().status();
    expect(status.available).toBe(true);
    expect(status.message).toMatch(/tests only/);
  });

  it('rejects an empty name', async () => {
    await expect(new MemorySecretStore().set('', 'x')).rejects.toThrow(/non-empty name/);
  });
});
