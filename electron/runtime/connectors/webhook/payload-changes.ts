import type { CapturedChange } from '../types.js';
import type { EntitySpec, WebhookRoute } from '../definitions/format.js';
import { getPath } from '../definitions/json-path.js';
import { extractRecord } from '../definitions/record-fields.js';
import { toEpochMs } from '../definitions/record-time.js';

export type PayloadChanges =
  | { kind: 'changes'; changes: CapturedChange[] }
  /** A well-formed event nobody syncs (e.g. `invoice.paid` when only customers are mapped): 2xx, nothing stored. */
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; message: string };

function matches(route: WebhookRoute, payload: unknown): boolean {
  if (!route.when) return true;
  const v = getPath(payload, route.when.path);
  return typeof v === 'string' && (Array.isArray(route.when.equals) ? route.when.equals.includes(v) : route.when.equals === v);
}

/** A verified webhook payload → the change it carries, with an eventId fixed by the delivery id. */
export function changesFromPayload(
  payload: unknown,
  routes: readonly WebhookRoute[],
  entities: ReadonlyMap<string, EntitySpec>,
  deliveryId: string,
  eventIdPrefix: string,
  receivedAt: number,
): PayloadChanges {
  const route = routes.find((r) => matches(r, payload));
  if (!route) {
    const type = routes[0]?.when ? getPath(payload, routes[0].when.path) : undefined;
    return { kind: 'ignored', reason: `no route for this event${typeof type === 'string' ? ` (${type})` : ''}` };
  }
  const entityName = route.entity ?? getPath(payload, route.entityPath!);
  if (typeof entityName !== 'string') return { kind: 'invalid', message: `"${route.entityPath}" must name the entity` };
  const entity = entities.get(entityName);
  if (!entity) return { kind: 'invalid', message: `unknown entity "${entityName}"; this receiver accepts ${[...entities.keys()].join(', ')}` };
  const op = route.op ?? getPath(payload, route.opPath!);
  if (op !== 'upsert' && op !== 'delete') return { kind: 'invalid', message: `"${route.opPath}" must be "upsert" or "delete"` };
  const raw = getPath(payload, route.recordPath);
  const rec = extractRecord(entity, raw, { keyOnly: op === 'delete' });
  if (!rec.ok) return { kind: 'invalid', message: rec.message };
  const eventTime = route.timePath ? toEpochMs(getPath(payload, route.timePath), route.timeFormat) : null;
  const version = rec.version ?? eventTime;
  const change: CapturedChange = {
    eventId: eventIdPrefix + deliveryId,
    entity: entity.name,
    key: rec.key,
    op,
    fields: rec.fields,
    sourceTime: version ?? receivedAt,
    origin: 'user',
    captureTime: receivedAt,
  };
  if (version !== null) change.version = version;
  return { kind: 'changes', changes: [change] };
}
