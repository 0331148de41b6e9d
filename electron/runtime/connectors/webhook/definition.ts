import { createServer } from 'node:net';
import { syncError } from '../../../../shared/errors.js';
import { entityKeyField } from '../definitions/format.js';
import { entityInfo, matchesNormalized } from '../definitions/entity-info.js';
import type { CaptureContext, Connector, ConnectorDefinition } from '../types.js';
import { WebhookConfigSchema, type WebhookConfig } from './config.js';
import { RecentRecords } from './recent-records.js';
import { startWebhookReceiver } from './receiver.js';

/** Inbound-only: events pushed to our own listener, verified, committed, then acknowledged. */
export const webhookConnector: ConnectorDefinition<WebhookConfig> = {
  kind: 'webhook',
  label: 'Webhook (inbound)',
  description: 'Receives signed HTTP webhooks on a local listener; each event is committed to the inbox before the sender gets its 2xx.',
  configSchema: WebhookConfigSchema,
  secretFields: [{ name: 'signingSecret', label: 'Signing secret', description: 'The HMAC-SHA256 secret the sender signs with.' }],
  captureModes: ['webhook'],
  pollIntervalMs: () => 0,
  create(ctx) {
    const config = ctx.config;
    const recent = new RecentRecords();
    const entities = new Map(config.entities.map((e) => [e.name, e]));
    const entity = (name: string) => {
      const e = entities.get(name);
      if (!e) throw new Error(`unknown entity "${name}"; this webhook declares ${[...entities.keys()].join(', ')}`);
      return e;
    };
    const connector: Connector = {
      async testConnection() {
        const secretOk = Boolean(ctx.secrets.signingSecret);
        const portCheck = await new Promise<{ ok: boolean; message: string }>((resolve) => {
          const probe = createServer();
          probe.once('error', (e: NodeJS.ErrnoException) =>
            resolve({ ok: false, message: `cannot listen on ${config.host}:${config.port} (${e.code ?? e.message}); choose another port or host` }),
          );
          probe.listen(config.port, config.host, () => probe.close(() => resolve({ ok: true, message: `${config.host}:${config.port} is free` })));
        });
        const checks = [
          { name: 'signing secret', ok: secretOk, message: secretOk ? 'set' : 'set the signing secret the sender uses' },
          { name: 'listener', ...portCheck },
        ];
        const bad = checks.find((c) => !c.ok);
        return { ok: !bad, message: bad ? bad.message : `ready to receive at http://${config.host}:${config.port}${config.path}`, checks };
      },
      async discover() {
        return config.entities.map(entityInfo);
      },
      async readSamples(name, limit) {
        entity(name);
        return recent.list(name).slice(0, limit);
      },
      async readByKeys(name, keys) {
        entity(name);
        const want = new Set(keys);
        return recent.list(name).filter((r) => want.has(r.key));
      },
      async findByField(name, field, values, normalize) {
        entity(name);
        return recent.list(name).filter((r) => values.some((v) => matchesNormalized(r.fields[field], v, normalize)));
      },
      async startCapture(cctx: CaptureContext) {
        const secret = ctx.secrets.signingSecret;
        if (!secret) throw new Error('the webhook has no signing secret; set it in the connection settings');
        const receiver = await startWebhookReceiver({
          ...config,
          toleranceMs: config.toleranceSec * 1000,
          replayWindowMs: config.replayWindowSec * 1000,
          deliveries: cctx.deliveries,
          secret,
          entities: config.entities.filter((e) => cctx.entities.length === 0 || cctx.entities.includes(e.name)),
          eventIdPrefix: `${ctx.systemId}:wh:`,
          sink: async (batch) => {
            await cctx.sink(batch);
            for (const c of batch.changes) {
              if (c.op === 'delete') recent.forget(c.entity, c.key);
              else recent.remember(c.entity, { key: c.key, fields: c.fields });
            }
          },
          ...(cctx.reportStatus ? { reportStatus: cctx.reportStatus } : {}),
          ...(cctx.inboxFull ? { inboxFull: cctx.inboxFull } : {}),
        });
        const onAbort = () => void receiver.close();
        cctx.signal.addEventListener('abort', onAbort, { once: true });
        return {
          async stop() {
            cctx.signal.removeEventListener('abort', onAbort);
            await receiver.close();
          },
        };
      },
      async write(name, ops) {
        const e = entity(name);
        return ops.map(() => ({
          ok: false as const,
          error: syncError('permanent', `a webhook source cannot be written to; sync into ${e.name} (key ${entityKeyField(e)}) through the system's REST connector`),
        }));
      },
      async close() {},
    };
    return connector;
  },
};
