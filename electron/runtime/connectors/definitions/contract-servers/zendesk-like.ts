import { signPayload } from '../../webhook/signature.js';
import { Clock, parseBody, startContractServer, type ContractServer, type Reply } from './contract-server.js';

/** A local server shaped like Zendesk's Support tickets API (see shipped/zendesk-tickets.ts). */
export interface ZendeskTicket {
  id: number;
  subject: string | null;
  description: string | null;
  status: string;
  priority: string | null;
  requester_id: number | null;
  tags: string[];
  created_at: string;
  updated_at: string;
}

export interface ZendeskLike extends ContractServer {
  clock: Clock;
  tickets: Map<number, ZendeskTicket>;
  put(id: number, fields: Partial<ZendeskTicket>): ZendeskTicket;
  sendEvent(url: string, secret: string, type: string, detail: Record<string, unknown>, invocationId: string): Promise<number>;
}

const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
/** Zendesk times have one-second resolution. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export async function startZendeskLike(email: string, apiToken: string, pageSize = 2): Promise<ZendeskLike> {
  const clock = new Clock();
  const tickets = new Map<number, ZendeskTicket>();
  let nextId = 1;
  const put = (id: number, fields: Partial<ZendeskTicket>) => {
    const prev = tickets.get(id);
    const at = isoSeconds(clock.now);
    const t: ZendeskTicket = { id, subject: null, description: null, status: 'new', priority: null, requester_id: null, tags: [], created_at: at, ...prev, ...fields, updated_at: at };
    tickets.set(id, t);
    nextId = Math.max(nextId, id + 1);
    return t;
  };
  const invalid = (field: string, description: string): Reply => ({ status: 422, body: { error: 'RecordInvalid', description: 'Record validation errors', details: { [field]: [{ description }] } } });
  const apply = (id: number, body: Record<string, unknown>): Reply => {
    const t = body.ticket as Record<string, unknown> | undefined;
    if (!t || typeof t !== 'object') return { status: 400, body: { error: 'InvalidEndpoint', description: 'the body needs a "ticket" object' } };
    if (t.status !== undefined && !STATUSES.includes(String(t.status))) return invalid('status', `Status: ${String(t.status)} is not valid`);
    const fields: Partial<ZendeskTicket> = {};
    for (const k of ['subject', 'description', 'status', 'priority', 'requester_id', 'tags'] as const) if (k in t) (fields as Record<string, unknown>)[k] = t[k];
    if (t.comment && typeof t.comment === 'object' && !fields.description) fields.description = String((t.comment as { body?: unknown }).body ?? '');
    return { status: tickets.has(id) ? 200 : 201, body: { ticket: put(id, fields) } };
  };

  const server = await startContractServer({
    authorized: (r) => r.headers.authorization === `Basic ${Buffer.from(`${email}/token:${apiToken}`).toString('base64')}`,
    handle: (req) => {
      if (req.method === 'GET' && req.path === '/api/v2/incremental/tickets/cursor.json') {
        // The cursor encodes where the previous page stopped in (updated_at, id) order.
        let from: { t: number; id: number };
        const cursor = req.query.get('cursor');
        const start = req.query.get('start_time');
        if (cursor) from = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { t: number; id: number };
        else if (start !== null) from = { t: Number(start) * 1000, id: -1 };
        else return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'start_time or cursor is required' } };
        if (cursor && start !== null) return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'cursor cannot be combined with start_time' } };
        const per = Math.min(Number(req.query.get('per_page') ?? 1000), pageSize);
        const all = [...tickets.values()]
          .map((t) => ({ t, at: Date.parse(t.updated_at) }))
          .filter(({ t, at }) => at > from.t || (at === from.t && t.id > from.id))
          .sort((a, b) => a.at - b.at || a.t.id - b.t.id);
        const page = all.slice(0, per);
        const last = page.at(-1);
        const after = last ? { t: last.at, id: last.t.id } : from;
        return {
          status: 200,
          body: { tickets: page.map((p) => p.t), after_cursor: Buffer.from(JSON.stringify(after)).toString('base64url'), end_of_stream: all.length <= per, count: page.length },
        };
      }
      if (req.method === 'GET' && req.path === '/api/v2/search.json') {
        const m = /^type:ticket (\w+):"(.*)"$/.exec(req.query.get('query') ?? '');
        if (!m) return { status: 400, body: { error: 'unsupported query' } };
        const results = [...tickets.values()].filter((t) => t.status !== 'deleted' && String((t as unknown as Record<string, unknown>)[m[1]!] ?? '') === m[2]).map((t) => ({ ...t, result_type: 'ticket' }));
        return { status: 200, body: { results, count: results.length } };
      }
      if (req.method === 'POST' && req.path === '/api/v2/tickets.json') {
        clock.tick(1000);
        return apply(nextId++, parseBody(req));
      }
      const m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(req.path);
      if (m) {
        const id = Number(m[1]);
        const t = tickets.get(id);
        if (!t || t.status === 'deleted') return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
        if (req.method === 'GET') return { status: 200, body: { ticket: t } };
        if (req.method === 'PUT') {
          clock.tick(1000);
          return apply(id, parseBody(req));
        }
        if (req.method === 'DELETE') {
          clock.tick(1000);
          put(id, { status: 'deleted' });
          return { status: 204 };
        }
      }
      return { status: 404, body: { error: 'InvalidEndpoint' } };
    },
  });
  return Object.assign(server, {
    clock,
    tickets,
    put,
    async sendEvent(url: string, secret: string, type: string, detail: Record<string, unknown>, invocationId: string) {
      const body = JSON.stringify({ type, id: `evt-${invocationId}`, time: new Date(clock.now).toISOString(), detail });
      const scheme = { scheme: 'hmac', signatureHeader: 'X-Zendesk-Webhook-Signature', timestampHeader: 'X-Zendesk-Webhook-Signature-Timestamp', prefix: '', encoding: 'base64', separator: '', timestampFormat: 'iso' } as const;
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-zendesk-webhook-invocation-id': invocationId, ...signPayload(scheme, secret, body) } });
      await res.text();
      return res.status;
    },
  });
}
