import { signPayload } from '../../webhook/signature.js';
import { Clock, parseBody, startContractServer, type ContractServer, type Reply } from './contract-server.js';

/** A local server shaped like Stripe's customers API and its webhooks (see shipped/stripe-customers.ts). */
export interface StripeCustomer {
  id: string;
  object: 'customer';
  created: number;
  email: string | null;
  name: string | null;
  phone: string | null;
  description: string | null;
  metadata: Record<string, string>;
}

export interface StripeLike extends ContractServer {
  clock: Clock;
  customers: Map<string, StripeCustomer>;
  put(id: string, fields: Partial<StripeCustomer>): StripeCustomer;
  remove(id: string): void;
  /** Deliver a signed event the way Stripe does; returns the HTTP status the receiver answered. */
  sendEvent(url: string, secret: string, type: string, customer: StripeCustomer | { id: string; object: 'customer'; deleted: true }, eventId?: string, signedAtMs?: number): Promise<number>;
}

const stripeError = (status: number, message: string, param?: string): Reply => ({ status, body: { error: { type: 'invalid_request_error', message, ...(param ? { param } : {}) } } });

/** Stripe's form keys (`metadata[plan]`) back into objects. */
function unflatten(form: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form)) {
    const m = /^([^[]+)\[([^\]]+)\]$/.exec(k);
    if (m) ((out[m[1]!] ??= {}) as Record<string, unknown>)[m[2]!] = v;
    else out[k] = v;
  }
  return out;
}

export async function startStripeLike(secretKey: string, pageSize = 2): Promise<StripeLike> {
  const clock = new Clock();
  const customers = new Map<string, StripeCustomer>();
  const idempotent = new Map<string, { params: string; reply: Reply }>();
  let n = 0;
  const put = (id: string, fields: Partial<StripeCustomer>) => {
    const prev = customers.get(id);
    const c: StripeCustomer = {
      id,
      object: 'customer',
      created: prev?.created ?? Math.floor(clock.tick() / 1000),
      email: null,
      name: null,
      phone: null,
      description: null,
      ...prev,
      ...fields,
      metadata: { ...prev?.metadata, ...fields.metadata },
    };
    customers.set(id, c);
    return c;
  };
  const apply = (id: string, form: Record<string, unknown>): Reply => {
    const f = unflatten(form);
    if (typeof f.email === 'string' && f.email !== '' && !/^[^@\s]+@[^@\s]+$/.test(f.email)) return stripeError(400, `Invalid email address: ${f.email}`, 'email');
    const known = ['email', 'name', 'phone', 'description', 'metadata'];
    const unknown = Object.keys(f).find((k) => !known.includes(k));
    if (unknown) return stripeError(400, `Received unknown parameter: ${unknown}`, unknown);
    const fields: Partial<StripeCustomer> = {};
    for (const k of ['email', 'name', 'phone', 'description'] as const) if (k in f) fields[k] = f[k] === '' ? null : String(f[k]);
    if (f.metadata) fields.metadata = f.metadata as Record<string, string>;
    return { status: 200, body: put(id, fields) };
  };
  // Stripe lists newest first.
  const listed = () => [...customers.values()].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));

  const server = await startContractServer({
    authorized: (r) => r.headers.authorization === `Bearer ${secretKey}`,
    handle: (req) => {
      const key = req.headers['idempotency-key'] as string | undefined;
      const params = req.body;
      if (req.method === 'POST' && key) {
        const seen = idempotent.get(key);
        if (seen) {
          if (seen.params !== params) return stripeError(400, 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
          return { ...seen.reply, headers: { 'idempotent-replayed': 'true' } };
        }
      }
      const remember = (reply: Reply) => {
        if (req.method === 'POST' && key && reply.status < 500) idempotent.set(key, { params, reply });
        return reply;
      };
      if (req.method === 'GET' && req.path === '/v1/customers') {
        const all = listed();
        const after = req.query.get('starting_after');
        const start = after ? all.findIndex((c) => c.id === after) + 1 : 0;
        if (after && start === 0) return stripeError(400, `No such customer: '${after}'`, 'starting_after');
        const limit = Math.min(Number(req.query.get('limit') ?? 10), pageSize);
        const data = all.slice(start, start + limit);
        return { status: 200, body: { object: 'list', url: '/v1/customers', has_more: start + limit < all.length, data } };
      }
      if (req.method === 'GET' && req.path === '/v1/customers/search') {
        const m = /^(\w+):'(.*)'$/.exec(req.query.get('query') ?? '');
        if (!m) return stripeError(400, 'Invalid search query');
        const data = listed().filter((c) => String((c as unknown as Record<string, unknown>)[m[1]!] ?? '') === m[2]);
        return { status: 200, body: { object: 'search_result', data, has_more: false, next_page: null } };
      }
      if (req.method === 'POST' && req.path === '/v1/customers') {
        return remember(apply(`cus_${String(++n).padStart(6, '0')}`, parseBody(req)));
      }
      const m = /^\/v1\/customers\/([^/]+)$/.exec(req.path);
      if (m) {
        const id = decodeURIComponent(m[1]!);
        const c = customers.get(id);
        if (!c) return stripeError(404, `No such customer: '${id}'`, 'id');
        if (req.method === 'GET') return { status: 200, body: c };
        if (req.method === 'POST') return remember(apply(id, parseBody(req)));
        if (req.method === 'DELETE') {
          customers.delete(id);
          return { status: 200, body: { id, object: 'customer', deleted: true } };
        }
      }
      return stripeError(404, `Unrecognized request URL (${req.method}: ${req.path})`);
    },
  });
  return Object.assign(server, {
    clock,
    customers,
    put,
    remove: (id: string) => void customers.delete(id),
    async sendEvent(url: string, secret: string, type: string, object: unknown, eventId = `evt_${Math.random().toString(36).slice(2)}`, signedAtMs = Date.now()) {
      const body = JSON.stringify({ id: eventId, object: 'event', type, created: Math.floor(clock.tick() / 1000), data: { object } });
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...signPayload({ scheme: 'stripe', header: 'Stripe-Signature' }, secret, body, signedAtMs) } });
      await res.text();
      return res.status;
    },
  });
}
