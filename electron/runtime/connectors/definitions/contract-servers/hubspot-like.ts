import { Clock, parseBody, startContractServer, type ContractServer, type Reply } from './contract-server.js';

/** A local server shaped like HubSpot's CRM v3 contacts API (see shipped/hubspot-contacts.ts). */
export interface HubspotContact {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface HubspotLike extends ContractServer {
  clock: Clock;
  contacts: Map<string, HubspotContact>;
  /** An edit made in the CRM's own UI. */
  put(id: string, properties: Record<string, string | null>): HubspotContact;
  archive(id: string): void;
}

export async function startHubspotLike(token: string, pageSize = 2): Promise<HubspotLike> {
  const clock = new Clock();
  const contacts = new Map<string, HubspotContact>();
  let nextId = 1000;
  const iso = () => new Date(clock.tick(1)).toISOString();
  const put = (id: string, properties: Record<string, string | null>) => {
    const prev = contacts.get(id);
    const at = iso();
    const c: HubspotContact = { id, properties: { ...prev?.properties, ...properties, hs_lastmodifieddate: at }, createdAt: prev?.createdAt ?? at, updatedAt: at, archived: false };
    contacts.set(id, c);
    return c;
  };
  const invalid = (message: string): Reply => ({ status: 400, body: { status: 'error', message, category: 'VALIDATION_ERROR' } });
  const validate = (p: Record<string, unknown>): Reply | null => {
    for (const [k, v] of Object.entries(p)) {
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return invalid(`Property "${k}" must be a scalar`);
    }
    if (typeof p.email === 'string' && !p.email.includes('@')) return invalid(`Property values were not valid: email "${p.email}" is not a valid email`);
    return null;
  };
  const view = (c: HubspotContact, props: string[] | null) => ({
    ...c,
    properties: props ? Object.fromEntries(props.map((p) => [p, c.properties[p] ?? null])) : c.properties,
  });
  const base = '/crm/v3/objects/contacts';

  const server = await startContractServer({
    authorized: (r) => r.headers.authorization === `Bearer ${token}`,
    handle: (req) => {
      const props = req.query.get('properties')?.split(',') ?? null;
      if (req.method === 'GET' && req.path === base) {
        const archived = req.query.get('archived') === 'true';
        const all = [...contacts.values()].filter((c) => c.archived === archived).sort((a, b) => Number(a.id) - Number(b.id));
        const limit = Math.min(Number(req.query.get('limit') ?? 10), pageSize);
        const after = Number(req.query.get('after') ?? 0);
        const page = all.slice(after, after + limit);
        const more = after + limit < all.length;
        return { status: 200, body: { results: page.map((c) => view(c, props)), ...(more ? { paging: { next: { after: String(after + limit), link: '…' } } } : {}) } };
      }
      if (req.method === 'POST' && req.path === `${base}/search`) {
        const body = parseBody(req) as { filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[]; properties?: string[] };
        const f = body.filterGroups?.[0]?.filters?.[0];
        if (!f || f.operator !== 'EQ') return invalid('only one EQ filter is supported here');
        const results = [...contacts.values()].filter((c) => !c.archived && String(c.properties[f.propertyName] ?? '').toLowerCase() === String(f.value).toLowerCase());
        return { status: 200, body: { total: results.length, results: results.map((c) => view(c, body.properties ?? null)) } };
      }
      if (req.method === 'POST' && req.path === base) {
        const p = (parseBody(req).properties ?? {}) as Record<string, string | null>;
        const bad = validate(p);
        if (bad) return bad;
        return { status: 201, body: put(String(nextId++), p) };
      }
      const m = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(req.path);
      if (m) {
        const c = contacts.get(decodeURIComponent(m[1]!));
        if (!c || c.archived) return { status: 404, body: { status: 'error', message: 'Object not found', category: 'OBJECT_NOT_FOUND' } };
        if (req.method === 'GET') return { status: 200, body: view(c, props) };
        if (req.method === 'PATCH') {
          const p = (parseBody(req).properties ?? {}) as Record<string, string | null>;
          const bad = validate(p);
          if (bad) return bad;
          return { status: 200, body: put(c.id, p) };
        }
        if (req.method === 'DELETE') {
          const at = iso();
          contacts.set(c.id, { ...c, archived: true, archivedAt: at, updatedAt: at });
          return { status: 204 };
        }
      }
      return { status: 404, body: { status: 'error', message: `no route ${req.method} ${req.path}` } };
    },
  });
  return Object.assign(server, {
    clock,
    contacts,
    put,
    archive(id: string) {
      const c = contacts.get(id)!;
      const at = iso();
      contacts.set(id, { ...c, archived: true, archivedAt: at, updatedAt: at });
    },
  });
}
