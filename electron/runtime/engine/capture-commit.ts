import type { ChangeEvent } from '../../../shared/events.js';
import type { CapturedBatch, RejectedMessage, SnapshotMark } from '../connectors/types.js';
import { emptyDelta } from '../store/counters.js';
import type { Route as InboxRoute } from '../store/inbox.js';
import type { Store } from '../store/store.js';
import { readyTime, routesKey, type FlowRoute } from './routes.js';
import { sourceSide, targetSide } from './sides.js';

export interface CaptureCommitResult {
  stored: number;
  duplicates: number;
  echoes: number;
  /** Echo counts per `syncId|direction`, for the live metrics. */
  echoCounts: [string, number][];
  /** The source tagged a change with our origin: it is a system that marks our writes. */
  sawOwnOrigin: boolean;
}

/**
 * Commit a captured batch to the inbox with its checkpoint, in one relaxed transaction: dedupe by
 * position (changes that carry one) or event id, route each change to the sync directions that read its entity, drop changes the source
 * tagged as our own writes (echoes). Used on the main thread and by a capture thread alike; the
 * source may be acknowledged once the commit is durable (Store.durable).
 */
export function commitCapturedBatch(
  store: Store,
  flowId: string,
  routes: ReadonlyMap<string, FlowRoute[]>,
  runtimeOrigin: string,
  systemId: string,
  batch: CapturedBatch,
  now: number,
): CaptureCommitResult {
  let stored = 0;
  let duplicates = 0;
  let echoes = 0;
  let sawOwnOrigin = false;
  const echoCounts = new Map<string, number>();
  // Per entity, the directions that read it and their inbox routes: looked up once per batch, not per change.
  const byEntity = new Map<string, EntityRoutes | null>();
  store.transaction(() => {
    // The last position committed for this source (undefined: not read yet; null: none).
    let position: string | null | undefined;
    if (batch.positionsRestart) {
      store.capturePositions.forget(flowId, systemId);
      position = null;
    }
    let advanced = false;
    for (const change of batch.changes) {
      const at = change.position;
      if (at !== undefined) {
        // Positions only grow: one at or before the last committed one was delivered before.
        if (position === undefined) position = store.capturePositions.get(flowId, systemId);
        if (position !== null && at <= position) {
          duplicates++;
          continue;
        }
        position = at;
        advanced = true;
      } else if (!store.inbox.markSeen(flowId, change.eventId, now)) {
        duplicates++;
        continue;
      }
      let entity = byEntity.get(change.entity);
      if (entity === undefined) byEntity.set(change.entity, (entity = entityRoutes(routes, systemId, change.entity, now)));
      if (entity === null) continue;
      if (change.origin === runtimeOrigin) {
        sawOwnOrigin = true;
        if (change.op === 'upsert') {
          // Tagged at the source as our own write: an echo, dropped before it costs anything.
          echoes++;
          for (const r of entity.routed) echoCounts.set(`${r.sync.id}|${r.direction}`, (echoCounts.get(`${r.sync.id}|${r.direction}`) ?? 0) + 1);
          continue;
        }
      }
      const event: ChangeEvent = {
        eventId: change.eventId,
        system: systemId,
        entity: change.entity,
        key: change.key,
        op: change.op,
        fields: change.fields,
        sourceTime: change.sourceTime,
        captureTime: change.captureTime ?? now,
        origin: change.origin,
      };
      if (change.version !== undefined) event.version = change.version;
      for (const route of entity.inbox) store.inbox.add(flowId, event, route);
      stored += entity.inbox.length;
    }
    if (advanced) store.capturePositions.put(flowId, systemId, position!);
    if (batch.snapshot) {
      store.snapshotKeys.record(flowId, systemId, batch.snapshot.id, batch.changes.map((c) => [c.entity, c.key] as const));
      if (batch.snapshot.done) stored += reconcileSnapshot(store, flowId, routes, systemId, batch.snapshot, now);
    }
    if (batch.checkpoint !== null) store.checkpoints.put(flowId, systemId, batch.checkpoint, now);
    if (batch.deliveries?.length) store.seenDeliveries.record(flowId, systemId, batch.deliveries);
    for (const r of batch.rejected ?? []) if (store.inbox.markSeen(flowId, r.eventId, now)) addRejected(store, flowId, routes, systemId, r, now);
    for (const [k, n] of echoCounts) {
      const [syncId, direction] = k.split('|') as [string, string];
      store.counters.add(flowId, syncId, direction, { ...emptyDelta(), echoes: n });
    }
    // No fsync on the path of every change (it dominated lag): durability comes from the barrier
    // the source awaits before it acknowledges (the sink awaits it for a batch acknowledged at once).
  }, { relaxed: true });
  return { stored, duplicates, echoes, echoCounts: [...echoCounts], sawOwnOrigin };
}

interface EntityRoutes {
  routed: FlowRoute[];
  /** One inbox route per direction; the same objects for every change of the batch (`now` is the batch's). */
  inbox: InboxRoute[];
}

function entityRoutes(routes: ReadonlyMap<string, FlowRoute[]>, systemId: string, entity: string, now: number): EntityRoutes | null {
  const routed = routes.get(routesKey(systemId, entity));
  if (!routed) return null;
  return { routed, inbox: routed.map((r) => ({ syncId: r.sync.id, direction: r.direction, notBefore: readyTime(r.sync, now) })) };
}

/** The mark a DLQ row of an unreadable message carries: there is nothing to replay (republish it fixed). */
export const UNREADABLE_MESSAGE = 'unreadable-message';

/**
 * An unreadable message becomes one DLQ row (validation) on the first sync direction that reads its
 * entity, or any entity of this system when it named none; with no such route it is counted as
 * ignored. Its event holds no fields, so it can never be written anywhere.
 */
function addRejected(store: Store, flowId: string, routes: ReadonlyMap<string, FlowRoute[]>, systemId: string, r: RejectedMessage, now: number): void {
  let route = r.entity ? routes.get(routesKey(systemId, r.entity))?.[0] : undefined;
  if (!route) {
    for (const [k, list] of routes) if (k.startsWith(routesKey(systemId, '')) && list[0]) { route = list[0]; break; }
  }
  if (!route) return;
  const event: ChangeEvent = { eventId: r.eventId, system: systemId, entity: r.entity ?? route.sync[sourceSide(route.direction)].entity, key: r.eventId, op: 'upsert', fields: {}, sourceTime: r.receivedAt, captureTime: now, origin: 'user' };
  store.dlq.add({
    flowId,
    syncId: route.sync.id,
    direction: route.direction,
    event,
    sourceSystem: systemId,
    targetSystem: route.sync[targetSide(route.direction)].system,
    errorClass: 'validation',
    message: `the message could not be read: ${r.reason}`,
    response: r.body,
    attempts: 1,
    firstFailedAt: now,
    lastFailedAt: now,
    payload: null,
    detail: { kind: UNREADABLE_MESSAGE, broker: r.broker },
  });
}

/**
 * A full read of the source ended: every record a route synced from it (linked) or is about to sync
 * (an upsert waiting in the inbox) that the read did not see is gone at the source, and gets a
 * delete, applied per the sync's delete policy after whatever waits for that record. Records the
 * flow never synced have no link and no waiting change, so they are never touched.
 */
function reconcileSnapshot(store: Store, flowId: string, routes: ReadonlyMap<string, FlowRoute[]>, systemId: string, mark: SnapshotMark, now: number): number {
  let stored = 0;
  const fresh = new Set<string>();
  for (const entity of mark.entities) {
    for (const r of routes.get(routesKey(systemId, entity)) ?? []) {
      const keys = store.snapshotKeys.unseen(flowId, systemId, entity, { syncId: r.sync.id, direction: r.direction, side: sourceSide(r.direction) }, mark.startedAt);
      for (const key of keys) {
        const event: ChangeEvent = {
          eventId: `${systemId}:snapshot-reconcile:${mark.id}:${entity}:${key}`,
          system: systemId,
          entity,
          key,
          op: 'delete',
          fields: {},
          sourceTime: mark.sourceTime,
          captureTime: now,
          origin: 'user',
        };
        if (mark.version !== undefined) event.version = mark.version;
        // One event per record, routed to each sync that reads the entity (seen once, like any change).
        if (!fresh.has(event.eventId)) {
          if (!store.inbox.markSeen(flowId, event.eventId, now)) continue;
          fresh.add(event.eventId);
        }
        store.inbox.add(flowId, event, { syncId: r.sync.id, direction: r.direction, notBefore: readyTime(r.sync, now) });
        stored++;
      }
    }
  }
  store.snapshotKeys.finish(flowId, systemId);
  return stored;
}
