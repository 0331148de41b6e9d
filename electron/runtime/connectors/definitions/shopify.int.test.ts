import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector } from '../types.js';
import { ConnectionOptionsSchema } from '../rest/definition-connector.js';
import { captureRecorder } from './contract-servers/capture-recorder.js';
import { startShopifyLike, type ShopifyLike } from './contract-servers/shopify-like.js';
import { definitionConnector, shippedDefinitions } from './vendor-connectors.js';

const TOKEN = 'shpat_test';
let shop: ShopifyLike;
let connector: Connector;

beforeEach(async () => {
  shop = await startShopifyLike(TOKEN);
  shop.set(101, 1, 5);
  shop.set(101, 2, 0);
  shop.set(102, 1, 12);
  shop.set(103, 9, 7); // a location this connection does not sync
  connector = definitionConnector(shippedDefinitions.shopify).create({
    config: ConnectionOptionsSchema.parse({ baseUrl: shop.apiBase, vars: { shop: 'acme', locationIds: '1,2' }, poll: { mode: 'interval', everyMs: 100 } }),
    secrets: { accessToken: TOKEN },
    flowId: 'f1',
    systemId: 'shop',
    dataDir: '/nonexistent',
  });
});
afterEach(async () => {
  await connector.close();
  await shop.close();
});

describe('Shopify-like inventory levels (contract server)', () => {
  it('follows Link-header pages (page_info alone), keys levels by item:location, and re-reads from updated_at_min', async () => {
    shop.rateLimit(1, 1);
    const rec = captureRecorder(['inventory_levels']);
    const handle = await connector.startCapture(rec.ctx);
    try {
      await rec.waitFor(() => rec.changes().length >= 3, 10_000);
      expect(rec.changes().map((c) => c.key).sort()).toEqual(['101:1', '101:2', '102:1']);
      expect(rec.changes()[0]!.fields).toMatchObject({ id: '101:1', inventory_item_id: 101, location_id: 1, available: 5 });
      const pageReq = shop.requests.find((r) => r.query.has('page_info'))!;
      expect([...pageReq.query.keys()].sort()).toEqual(['limit', 'page_info']);
      expect(shop.requests[0]!.headers['x-shopify-access-token']).toBe(TOKEN);

      shop.set(102, 1, 11);
      await rec.waitFor(() => rec.changes().length >= 4);
      expect(rec.changes()[3]).toMatchObject({ key: '102:1', fields: { available: 11 }, version: Date.parse(shop.levels.get('102:1')!.updated_at) });
      const filtered = shop.requests.filter((r) => r.query.has('updated_at_min')).at(-1)!;
      expect(filtered.query.get('location_ids')).toBe('1,2');
    } finally {
      await handle.stop();
    }
  });

  it('writes through inventory_levels/set (idempotent upsert by item and location) and deletes by query', async () => {
    const [set] = await connector.write('inventory_levels', [{ kind: 'upsert', key: null, fields: { inventory_item_id: 104, location_id: 2, available: 3 }, idempotencyKey: 'a', sourceTime: 1 }], 'synccanvas:f1');
    expect(set).toEqual({ ok: true, key: '104:2', version: Date.parse(shop.levels.get('104:2')!.updated_at) });
    expect(shop.levels.get('104:2')!.available).toBe(3);
    const [again] = await connector.write('inventory_levels', [{ kind: 'upsert', key: '104:2', fields: { id: '104:2', inventory_item_id: 104, location_id: 2, available: 4 }, idempotencyKey: 'b', sourceTime: 1 }], 'o');
    expect(again).toMatchObject({ ok: true, key: '104:2' });
    expect(JSON.parse(shop.requests.at(-1)!.body)).toEqual({ inventory_item_id: 104, location_id: 2, available: 4 });
    const [bad] = await connector.write('inventory_levels', [{ kind: 'upsert', key: null, fields: { inventory_item_id: 104, location_id: 2, available: 'many' }, idempotencyKey: 'c', sourceTime: 1 }], 'o');
    expect(bad).toMatchObject({ ok: false, error: { errorClass: 'validation' } });
    expect((bad as { error: { response: string } }).error.response).toContain('must be an integer');
    const del = await connector.write('inventory_levels', [
      { kind: 'delete', key: '101:2', mode: 'hard', idempotencyKey: 'd', sourceTime: 1 },
      { kind: 'delete', key: '555:1', mode: 'hard', idempotencyKey: 'e', sourceTime: 1 },
    ], 'o');
    expect(del).toEqual([{ ok: true, key: '101:2' }, { ok: true, key: '555:1', note: 'not-found' }]);
    expect(shop.levels.has('101:2')).toBe(false);
  });
});
