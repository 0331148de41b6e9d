import { Clock, parseBody, startContractServer, type ContractServer, type Reply } from './contract-server.js';

/** A local server shaped like Shopify's Admin REST inventory levels API (see shipped/shopify-inventory.ts). */
export interface ShopifyLevel {
  inventory_item_id: number;
  location_id: number;
  available: number | null;
  updated_at: string;
  admin_graphql_api_id: string;
}

export interface ShopifyLike extends ContractServer {
  clock: Clock;
  levels: Map<string, ShopifyLevel>;
  /** The admin API base, e.g. http://127.0.0.1:1234/admin/api/2024-10 */
  apiBase: string;
  set(item: number, location: number, available: number | null): ShopifyLevel;
}

export const SHOPIFY_API = '/admin/api/2024-10';

export async function startShopifyLike(accessToken: string, pageSize = 2): Promise<ShopifyLike> {
  const clock = new Clock();
  const levels = new Map<string, ShopifyLevel>();
  const set = (item: number, location: number, available: number | null) => {
    const l: ShopifyLevel = {
      inventory_item_id: item,
      location_id: location,
      available,
      updated_at: new Date(clock.tick(1000)).toISOString().replace('.000Z', '-00:00'),
      admin_graphql_api_id: `gid://shopify/InventoryLevel/${location}?inventory_item_id=${item}`,
    };
    levels.set(`${item}:${location}`, l);
    return l;
  };
  const err = (status: number, errors: unknown): Reply => ({ status, body: { errors } });
  // page_info tokens, as Shopify issues them: opaque, and they carry the original filters.
  const pages = new Map<string, { locations: string[]; min: number | null; offset: number }>();
  let token = 0;

  const server = await startContractServer({
    authorized: (r) => r.headers['x-shopify-access-token'] === accessToken,
    handle: (req) => {
      if (req.method === 'GET' && req.path === `${SHOPIFY_API}/inventory_levels.json`) {
        const limit = Math.min(Number(req.query.get('limit') ?? 50), pageSize);
        let state: { locations: string[]; min: number | null; offset: number };
        const pageInfo = req.query.get('page_info');
        if (pageInfo) {
          const extra = [...req.query.keys()].filter((k) => k !== 'page_info' && k !== 'limit');
          if (extra.length) return err(400, `page_info cannot be combined with ${extra.join(', ')}`);
          const s = pages.get(pageInfo);
          if (!s) return err(400, 'Invalid page_info');
          state = s;
        } else {
          const loc = req.query.get('location_ids');
          if (!loc && !req.query.get('inventory_item_ids')) return err(422, 'location_ids or inventory_item_ids is required');
          const min = req.query.get('updated_at_min');
          state = { locations: (loc ?? '').split(','), min: min ? Date.parse(min) : null, offset: 0 };
        }
        const all = [...levels.values()]
          .filter((l) => state.locations.includes(String(l.location_id)) && (state.min === null || Date.parse(l.updated_at) >= state.min))
          .sort((a, b) => a.inventory_item_id - b.inventory_item_id || a.location_id - b.location_id);
        const page = all.slice(state.offset, state.offset + limit);
        const headers: Record<string, string> = {};
        if (state.offset + limit < all.length) {
          const t = `p${++token}`;
          pages.set(t, { ...state, offset: state.offset + limit });
          headers.link = `<${server.url}${SHOPIFY_API}/inventory_levels.json?limit=${limit}&page_info=${t}>; rel="next"`;
        }
        return { status: 200, body: { inventory_levels: page }, headers };
      }
      if (req.method === 'POST' && req.path === `${SHOPIFY_API}/inventory_levels/set.json`) {
        const b = parseBody(req);
        if (typeof b.inventory_item_id !== 'number' || typeof b.location_id !== 'number') return err(422, { inventory_item_id: ['and location_id are required integers'] });
        if (b.available !== null && !Number.isInteger(b.available)) return err(422, { available: ['must be an integer'] });
        clock.tick(1000);
        return { status: 200, body: { inventory_level: set(b.inventory_item_id, b.location_id, b.available as number | null) } };
      }
      if (req.method === 'DELETE' && req.path === `${SHOPIFY_API}/inventory_levels.json`) {
        const k = `${req.query.get('inventory_item_id')}:${req.query.get('location_id')}`;
        if (!levels.delete(k)) return err(404, 'Not Found');
        return { status: 204 };
      }
      return err(404, 'Not Found');
    },
  });
  return Object.assign(server, { clock, levels, set, apiBase: `${server.url}${SHOPIFY_API}` });
}
