import { z } from 'zod';
import type { CaptureContext, CaptureHandle, Connector, ConnectorContext, SecretFieldInfo, SourceRecord } from '../types.js';
import type { Definition, EntitySpec } from '../definitions/format.js';
import { entityInfo, matchesNormalized } from '../definitions/entity-info.js';
import { getPath } from '../definitions/json-path.js';
import { extractRecord } from '../definitions/record-fields.js';
import { renderTemplate, type TemplateVars } from '../definitions/template.js';
import { ListenSchema } from '../webhook/config.js';
import { startWebhookReceiver, type WebhookReceiver } from '../webhook/receiver.js';
import { ApiCaller } from './api-caller.js';
import { Authenticator } from './auth.js';
import { checkBaseUrl, HttpClient, HttpSyncError } from './http-client.js';
import { readPages } from './pagination.js';
import { PollScheduleSchema, pollIntervalMs, startPoller } from './poller.js';
import { listRequest } from './request-spec.js';
import { writeOps } from './writer.js';

/** How one connection uses a definition: where, how often, and whether to listen for its webhooks. */
export const ConnectionOptionsSchema = z.object({
  /** Overrides the definition's baseUrl (a sandbox, a regional host, a local contract server). */
  baseUrl: z.string().optional().meta({ title: 'Base URL', description: "Leave empty for the vendor's own address; give one for a sandbox, a regional host or a test server." }),
  /** Values for `{config.x}` placeholders: shop name, subdomain, account email… */
  vars: z.record(z.string(), z.string()).default({}),
  poll: PollScheduleSchema.default({ mode: 'interval', everyMs: 30_000 }),
  webhook: ListenSchema.extend({ enabled: z.boolean().default(false) }).default(() => ({ ...ListenSchema.parse({}), enabled: false })),
  /** Pooled keep-alive sockets to the API. */
  connections: z.number().int().min(1).max(64).default(8),
  /** Extra trusted CA certificate (PEM) for a private endpoint. */
  caCert: z.string().optional(),
  timeoutMs: z.number().int().min(1000).max(300_000).default(30_000),
});
export type ConnectionOptions = z.infer<typeof ConnectionOptionsSchema>;

const SCAN_LIMIT = 10_000;

/** The secrets a definition needs, for the connection form. */
export function definitionSecretFields(def: Definition): SecretFieldInfo[] {
  const a = def.auth;
  const out: SecretFieldInfo[] = [];
  if (a.type === 'bearer') out.push({ name: a.tokenSecret, label: 'API token' });
  if (a.type === 'api-key') out.push({ name: a.secret, label: 'API key' });
  if (a.type === 'basic') out.push({ name: a.passwordSecret, label: 'Password or API token' });
  if (a.type === 'oauth2-client-credentials') out.push({ name: a.clientSecretSecret, label: 'OAuth client secret' });
  if (def.webhook) out.push({ name: 'signingSecret', label: 'Webhook signing secret', description: 'Verifies inbound webhooks (only when webhooks are on).', advanced: true });
  if (def.signOutbound) out.push({ name: 'outboundSigningSecret', label: 'Outbound signing secret', description: 'Signs what SyncCanvas sends.', advanced: true });
  return out;
}

export function definitionPollIntervalMs(opts: ConnectionOptions): number {
  return pollIntervalMs(opts.poll);
}

/** A Connector for any HTTP API described by a definition (shipped vendors and "Any REST API"). */
export function createDefinitionConnector(def: Definition, opts: ConnectionOptions, ctx: ConnectorContext<unknown>): Connector {
  const vars: TemplateVars = { config: opts.vars };
  const baseUrl = renderTemplate(opts.baseUrl ?? def.baseUrl, vars);
  const http = new HttpClient({ baseUrl, connections: opts.connections, timeoutMs: opts.timeoutMs, ...(opts.caCert ? { ca: opts.caCert } : {}) });
  const auth = new Authenticator(def.auth, ctx.secrets, vars, http, opts.caCert);
  const api = new ApiCaller(http, auth, def.headers);
  const entities = new Map(def.entities.map((e) => [e.name, e]));
  const entity = (name: string): EntitySpec => {
    const e = entities.get(name);
    if (!e) throw new Error(`unknown entity "${name}"; ${def.label} has ${[...entities.keys()].join(', ')}`);
    return e;
  };

  async function scan(e: EntitySpec, limit: number, keep: (r: SourceRecord) => boolean): Promise<SourceRecord[]> {
    if (!e.read) throw new Error(`${e.name} cannot be listed (no read section in the definition)`);
    const out: SourceRecord[] = [];
    let seen = 0;
    const pages = readPages(api, listRequest(e.read.request, vars), e.read.pagination, `listing ${e.name}`, { retries: 2 });
    for await (const page of pages) {
      for (const raw of page) {
        const rec = extractRecord(e, raw, { keyOnly: true });
        if (rec.ok && keep({ key: rec.key, fields: rec.fields })) out.push({ key: rec.key, fields: rec.fields });
        if (out.length >= limit || ++seen >= SCAN_LIMIT) return out;
      }
    }
    return out;
  }

  const findByField = async (name: string, field: string, values: unknown[], normalize: 'exact' | 'lowercase-trim'): Promise<SourceRecord[]> => {
    const e = entity(name);
    if (e.find) {
      const out: SourceRecord[] = [];
      const seen = new Set<string>();
      // Search endpoints compare as they please; ask for the trimmed and the lowercased value, keep real matches.
      const asked = normalize === 'exact' ? values : [...new Set(values.flatMap((v) => [String(v ?? '').trim(), String(v ?? '').trim().toLowerCase()]))];
      for (const value of asked) {
        const res = await api.call(
          (() => {
            const r = listRequest(e.find!, { ...vars, field, value });
            return { method: r.method, url: r.path, query: r.query, ...(r.body !== undefined ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}) };
          })(),
          `finding ${e.name} by ${field}`,
          { retries: 2 },
        ).catch((err: unknown) => {
          if (err instanceof HttpSyncError && err.status === 404) return null;
          throw err;
        });
        if (!res) continue;
        // A list, or one record (HubSpot's GET by idProperty answers the record itself).
        const found = getPath(res.json, e.find.recordsPath);
        for (const raw of Array.isArray(found) ? found : found ? [found] : []) {
          const rec = extractRecord(e, raw, { keyOnly: true });
          if (rec.ok && !seen.has(rec.key) && values.some((v) => matchesNormalized(rec.fields[field], v, normalize))) {
            seen.add(rec.key);
            out.push({ key: rec.key, fields: rec.fields });
          }
        }
      }
      return out;
    }
    return scan(e, Infinity, (r) => values.some((v) => matchesNormalized(r.fields[field], v, normalize)));
  };

  return {
    async testConnection() {
      const checks = [];
      try {
        checkBaseUrl(baseUrl);
        checks.push({ name: 'address', ok: true, message: baseUrl });
      } catch (e) {
        checks.push({ name: 'address', ok: false, message: (e as Error).message });
      }
      const missing = auth.missingSecrets();
      checks.push({ name: 'credentials', ok: missing.length === 0, message: missing.length ? `set the secret${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : 'set' });
      if (opts.webhook.enabled && def.webhook) {
        checks.push({ name: 'webhook secret', ok: Boolean(ctx.secrets.signingSecret), message: ctx.secrets.signingSecret ? 'set' : 'set the webhook signing secret' });
      }
      const readable = def.entities.find((e) => e.read);
      if (readable && checks.every((c) => c.ok)) {
        try {
          await scan(readable, 1, () => true);
          checks.push({ name: 'read', ok: true, message: `listed ${readable.name}` });
        } catch (e) {
          checks.push({ name: 'read', ok: false, message: (e as Error).message });
        }
      }
      const bad = checks.find((c) => !c.ok);
      return { ok: !bad, message: bad ? bad.message : `connected to ${def.label}`, checks };
    },
    async discover() {
      return def.entities.map(entityInfo);
    },
    async readSamples(name, limit) {
      return scan(entity(name), limit, () => true);
    },
    async readByKeys(name, keys) {
      const e = entity(name);
      if (!e.get) {
        const want = new Set(keys);
        return scan(e, keys.length, (r) => want.has(r.key));
      }
      const out: SourceRecord[] = [];
      for (const key of keys) {
        const r = listRequest(e.get, { ...vars, key });
        const res = await api.call({ method: r.method, url: r.path, query: r.query }, `reading ${e.name} ${key}`, { retries: 2 }).catch((err: unknown) => {
          if (err instanceof HttpSyncError && err.status === 404) return null;
          throw err;
        });
        if (!res) continue;
        const rec = extractRecord(e, getPath(res.json, e.get.recordsPath), { keyOnly: true });
        if (rec.ok) out.push({ key: rec.key, fields: rec.fields });
      }
      return out;
    },
    findByField,
    async startCapture(cctx: CaptureContext): Promise<CaptureHandle> {
      const handles: CaptureHandle[] = [];
      const prefix = `${ctx.systemId}:`;
      const poller = await startPoller({ api, entities: def.entities, vars, eventIdPrefix: `${prefix}poll:`, schedule: opts.poll }, cctx);
      handles.push(poller);
      let receiver: WebhookReceiver | null = null;
      if (opts.webhook.enabled && def.webhook) {
        const secret = ctx.secrets.signingSecret;
        if (!secret) {
          await poller.stop();
          throw new Error(`webhooks are on for ${def.label} but the signing secret is not set`);
        }
        receiver = await startWebhookReceiver({
          ...opts.webhook,
          toleranceMs: opts.webhook.toleranceSec * 1000,
          replayWindowMs: opts.webhook.replayWindowSec * 1000,
          deliveries: cctx.deliveries,
          signature: def.webhook.signature,
          secret,
          deliveryId: def.webhook.deliveryId,
          routes: def.webhook.routes,
          entities: def.entities.filter((e) => cctx.entities.length === 0 || cctx.entities.includes(e.name)),
          eventIdPrefix: `${prefix}wh:`,
          sink: cctx.sink,
          ...(cctx.reportStatus ? { reportStatus: cctx.reportStatus } : {}),
          ...(cctx.inboxFull ? { inboxFull: cctx.inboxFull } : {}),
        });
        const r = receiver;
        handles.push({ stop: () => r.close() });
      }
      return {
        async stop() {
          await Promise.all(handles.map((h) => h.stop()));
        },
      };
    },
    async write(name, ops, origin) {
      const e = entity(name);
      const signingSecret = ctx.secrets.outboundSigningSecret;
      return writeOps(e, ops, origin, {
        api,
        vars,
        originHeader: def.originHeader,
        ...(def.signOutbound && signingSecret ? { signing: { scheme: def.signOutbound, secret: signingSecret } } : {}),
        concurrency: opts.connections,
      });
    },
    async close() {
      await auth.close();
      await http.close();
    },
  };
}
