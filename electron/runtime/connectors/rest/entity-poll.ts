import { createHash } from 'node:crypto';
import type { CapturedChange } from '../types.js';
import type { EntitySpec } from '../definitions/format.js';
import { getPath } from '../definitions/json-path.js';
import { extractRecord } from '../definitions/record-fields.js';
import { fromEpochMs, toEpochMs } from '../definitions/record-time.js';
import type { TemplateVars } from '../definitions/template.js';
import { listRequest } from './request-spec.js';
import type { ApiCaller } from './api-caller.js';
import type { EntityPollState } from './poll-state.js';
import { readPages } from './pagination.js';

export interface EntityPollResult {
  changes: CapturedChange[];
  state: EntityPollState;
  notices: string[];
}

const READ_RETRIES = 4;

function fingerprint(fields: Record<string, unknown>): string {
  const sorted = Object.keys(fields).sort().map((k) => [k, fields[k]]);
  return createHash('sha1').update(JSON.stringify(sorted)).digest('base64url').slice(0, 16);
}

/**
 * One poll of one entity: read what changed since the cursor minus the overlap window (or
 * everything, where deletes are found by reconciliation), drop what the overlap already
 * delivered, and turn deletions into delete changes. Pure with respect to `prev`: the caller
 * keeps the returned state only after the batch is committed.
 */
export async function pollEntity(
  api: ApiCaller,
  entity: EntitySpec,
  prev: EntityPollState,
  vars: TemplateVars,
  eventIdPrefix: string,
  now: number,
  signal?: AbortSignal,
): Promise<EntityPollResult> {
  const read = entity.read!;
  const reconcile = read.deletes.type === 'reconcile';
  const useCursor = Boolean(entity.cursorField) && !reconcile;
  const since = useCursor && prev.cursor !== null ? prev.cursor - read.overlapMs : null;
  const list = listRequest(read.request, vars);
  if (since !== null && read.since) list.query[read.since.param] = fromEpochMs(since, read.since.format);
  const prefix = `${eventIdPrefix}${entity.name}:`;
  const changes: CapturedChange[] = [];
  const notices: string[] = [];
  const recent: Record<string, string> = { ...prev.recent };
  const known: Record<string, string> | undefined = reconcile || !entity.cursorField ? {} : undefined;
  let cursor = prev.cursor;
  const what = `listing ${entity.name}`;
  const opts = { retries: READ_RETRIES, ...(signal ? { signal } : {}) };

  const deleteField = read.deletes.type === 'field' ? read.deletes : null;
  for await (const page of readPages(api, list, read.pagination, what, opts)) {
    for (const raw of page) {
      const isDeleted = deleteField !== null && (getPath(raw, deleteField.field) === deleteField.equals || getPath(getPath(raw, entity.fieldsPath), deleteField.field) === deleteField.equals);
      const rec = extractRecord(entity, raw, { keyOnly: true });
      if (!rec.ok) {
        notices.push(rec.message);
        continue;
      }
      const version = rec.version;
      if (version !== null && since !== null && version < since) continue; // no server-side filter: filter here
      if (version !== null && cursor !== null && version > cursor) cursor = version;
      if (version !== null && cursor === null) cursor = version;
      const hash = fingerprint(rec.fields);
      const fp = version !== null ? `v${version}.${hash}` : `h${hash}`;
      if (known) {
        // A record listed as deleted keeps a `d` mark so it is neither re-emitted nor "vanishes" later.
        const mark = isDeleted ? `d${fp}` : fp;
        known[rec.key] = mark;
        if (prev.known?.[rec.key] === mark) continue;
      } else if (version !== null) {
        const seen = recent[rec.key];
        const seenVersion = seen === undefined ? -Infinity : Number(seen.slice(0, seen.indexOf('|')));
        if (seen !== undefined && (seenVersion > version || seen === `${version}|${hash}`)) continue;
        recent[rec.key] = `${version}|${hash}`;
      }
      const change: CapturedChange = {
        eventId: `${prefix}${rec.key}:${isDeleted ? 'del:' : ''}${fp}`,
        entity: entity.name,
        key: rec.key,
        op: isDeleted ? 'delete' : 'upsert',
        fields: rec.fields,
        sourceTime: version ?? now,
        origin: 'user',
      };
      if (version !== null) change.version = version;
      changes.push(change);
    }
  }

  if (read.deletes.type === 'endpoint' && prev.cursor !== null) {
    const d = read.deletes;
    for await (const page of readPages(api, listRequest(d.request, vars), d.pagination, `listing deleted ${entity.name}`, opts)) {
      for (const raw of page) {
        const rec = extractRecord(entity, raw, { keyOnly: true });
        if (!rec.ok) {
          notices.push(rec.message);
          continue;
        }
        const at = d.timeField ? toEpochMs(getPath(raw, d.timeField) ?? getPath(getPath(raw, entity.fieldsPath), d.timeField)) : null;
        // Deleted before the window we already covered: delivered by an earlier poll.
        if (at !== null && since !== null && at < since) continue;
        const mark = `del:${rec.key}`;
        if (at !== null && recent[mark] !== undefined && Number(recent[mark]!.split('|')[0]) >= at) continue;
        if (at !== null) recent[mark] = `${at}|`;
        const change: CapturedChange = {
          eventId: `${prefix}${rec.key}:del:${at ?? 'x'}`,
          entity: entity.name,
          key: rec.key,
          op: 'delete',
          fields: rec.fields,
          sourceTime: at ?? now,
          origin: 'user',
        };
        if (at !== null) change.version = at;
        changes.push(change);
      }
    }
  }

  if (reconcile && prev.known) {
    for (const [key, fp] of Object.entries(prev.known)) {
      if (known![key] !== undefined || fp.startsWith('d')) continue;
      // The key vanished from a complete listing: it was deleted at the source.
      changes.push({ eventId: `${prefix}${key}:gone:${fp}`, entity: entity.name, key, op: 'delete', fields: {}, sourceTime: now, version: now, origin: 'user' });
    }
  }

  if (cursor !== null) {
    const floor = cursor - read.overlapMs;
    for (const [k, v] of Object.entries(recent)) if (Number(v.slice(0, v.indexOf('|'))) < floor) delete recent[k];
  }
  const state: EntityPollState = { cursor, recent };
  if (known) state.known = known;
  return { changes, state, notices };
}
