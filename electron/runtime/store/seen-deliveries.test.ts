import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIND_BY_CONTENT_SQL, FIND_BY_ID_SQL } from './seen-deliveries.js';
import { Store } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SeenDeliveryRepo', () => {
  it('finds a delivery by id or by body hash per flow and system until it expires, across a reopen, and prunes it after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-seen-'));
    dirs.push(dir);
    const path = join(dir, 'ws.db');
    let store = Store.open(path);
    store.transaction(() => {
      store.seenDeliveries.record('f1', 'gh', [
        { id: 'd-1', contentHash: 'h1', signedAtMs: null, expiresAtMs: 1000 },
        { id: 'd-2', contentHash: 'h2', signedAtMs: 400, expiresAtMs: 2000 },
      ]);
    });
    store.close();
    store = Store.open(path);
    const seen = store.seenDeliveries;
    expect(seen.find('f1', 'gh', 'd-1', 'other', 999)).toEqual({ by: 'id', contentHash: 'h1', signedAtMs: null });
    expect(seen.find('f1', 'gh', 'd-9', 'h2', 999)).toEqual({ by: 'content', id: 'd-2' });
    expect(seen.find('f1', 'gh', 'd-2', 'h2', 999)).toEqual({ by: 'id', contentHash: 'h2', signedAtMs: 400 });
    expect(seen.find('f1', 'other-system', 'd-1', 'h1', 999)).toBeNull();
    expect(seen.find('f2', 'gh', 'd-1', 'h1', 999)).toBeNull();
    expect(seen.find('f1', 'gh', 'd-1', 'h1', 1000)).toBeNull();
    // Recording again never shortens the memory.
    seen.record('f1', 'gh', [{ id: 'd-2', contentHash: 'h2', signedAtMs: 500, expiresAtMs: 1500 }]);
    expect(seen.find('f1', 'gh', 'd-2', 'x', 1999)).toEqual({ by: 'id', contentHash: 'h2', signedAtMs: 500 });
    expect(seen.prune(1000)).toBe(1);
    expect(seen.prune(2000)).toBe(1);
    expect(store.db.prepare('SELECT count(*) AS n FROM webhook_deliveries').get()).toEqual({ n: 0 });
    store.close();
  });

  it('looks a delivery up by an index, never by scanning a system’s deliveries (one lookup per request)', () => {
    const store = Store.open(':memory:');
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('f', 's', 'x', 1) as { detail: string }[]).map((r) => r.detail);
    expect(plan(FIND_BY_ID_SQL)).toEqual(['SEARCH webhook_deliveries USING PRIMARY KEY (flow_id=? AND system=? AND delivery_id=?)']);
    expect(plan(FIND_BY_CONTENT_SQL)).toEqual(['SEARCH webhook_deliveries USING COVERING INDEX webhook_deliveries_content (flow_id=? AND system=? AND content_hash=? AND expires_at>?)']);
    store.close();
  });
});
