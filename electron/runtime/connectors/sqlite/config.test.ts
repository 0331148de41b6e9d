import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDatabasePath } from './config.js';

describe('the SQLite database path', () => {
  it('expands ~ to the home folder, as people type it', () => {
    expect(resolveDatabasePath('~/Documents/crm.db', '/ws/data', '/home/ann')).toBe(path.join('/home/ann', 'Documents', 'crm.db'));
    expect(resolveDatabasePath('~', '/ws/data', '/home/ann')).toBe('/home/ann');
  });
  it('keeps an absolute path, resolves a relative one in the data folder, and leaves ~ inside a name alone', () => {
    expect(resolveDatabasePath('/srv/crm.db', '/ws/data', '/home/ann')).toBe('/srv/crm.db');
    expect(resolveDatabasePath('crm.db', '/ws/data', '/home/ann')).toBe(path.join('/ws/data', 'crm.db'));
    expect(resolveDatabasePath('backups/~old.db', '/ws/data', '/home/ann')).toBe(path.join('/ws/data', 'backups', '~old.db'));
  });
});
