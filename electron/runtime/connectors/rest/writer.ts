import { syncError } from '../../../../shared/errors.js';
import type { WriteOp, WriteResult } from '../types.js';
import { entityKeyField, type EntitySpec } from '../definitions/format.js';
import { getPath } from '../definitions/json-path.js';
import { toEpochMs } from '../definitions/record-time.js';
import { renderPath, type TemplateVars } from '../definitions/template.js';
import { signPayload, type SignatureScheme } from '../webhook/signature.js';
import type { ApiCaller } from './api-caller.js';
import { isExactDecimal, showValue } from '../../values/exact.js';
import { NotJsonError, stringifyLossless } from '../../values/lossless-json.js';
import { formEncode } from './form-encoding.js';
import { HttpSyncError, type HttpRequest } from './http-client.js';
import { renderQuery } from './request-spec.js';

export interface WriterOptions {
  api: ApiCaller;
  vars: TemplateVars;
  originHeader: string;
  /** Sign each outbound body (the same HMAC scheme as inbound webhooks). */
  signing?: { scheme: SignatureScheme; secret: string };
  concurrency?: number;
}

type Endpoint = { method: HttpRequest['method']; path: string; query: Record<string, string> };

/**
 * Applies WriteOps through a definition's write endpoints. Ops in one call touch different
 * records (the engine's promise), so they run in parallel on the pooled connections; each
 * carries its idempotency key and our origin header, and retries are left to the engine.
 */
export async function writeOps(entity: EntitySpec, ops: WriteOp[], origin: string, o: WriterOptions): Promise<WriteResult[]> {
  const results: WriteResult[] = new Array(ops.length);
  let next = 0;
  const worker = async () => {
    while (next < ops.length) {
      const i = next++;
      try {
        results[i] = await writeOne(entity, ops[i]!, origin, o);
      } catch (e) {
        results[i] = {
          ok: false,
          error: e instanceof HttpSyncError ? e.error : syncError('validation', `writing ${entity.name}: ${(e as Error).message}`),
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, ops.length) }, worker));
  return results;
}

/** The JSON body, every number exact; a field JSON cannot hold exactly is refused by name. */
function jsonBody(payload: unknown, fields: Record<string, unknown>, entity: string): string {
  try {
    return stringifyLossless(payload);
  } catch (e) {
    if (!(e instanceof NotJsonError)) throw e;
    for (const [name, v] of Object.entries(fields)) {
      try {
        stringifyLossless(v);
      } catch (inner) {
        throw new HttpSyncError(syncError('validation', `field "${name}" of ${entity} cannot be sent as JSON: ${(inner as Error).message} (value ${showValue(v)}); map it to a text field or fix the value`));
      }
    }
    throw new HttpSyncError(syncError('validation', `the ${entity} body cannot be sent as JSON: ${e.message}`));
  }
}

async function writeOne(entity: EntitySpec, op: WriteOp, origin: string, o: WriterOptions): Promise<WriteResult> {
  const w = entity.write;
  if (!w) throw new HttpSyncError(syncError('permanent', `${entity.name} is read-only in this definition (no write section)`));
  const keyField = entityKeyField(entity);
  const keyParts = Array.isArray(entity.primaryKey) ? entity.primaryKey : [entity.primaryKey];

  const send = async (ep: Endpoint, vars: TemplateVars, fields: Record<string, unknown> | null, what: string) => {
    const headers: Record<string, string> = { [w.idempotencyHeader]: op.idempotencyKey, [o.originHeader]: origin };
    let body: string | undefined;
    if (fields) {
      const payload = w.wrap ? { [w.wrap]: fields } : fields;
      body = w.encoding === 'form' ? formEncode(payload) : jsonBody(payload, fields, entity.name);
      headers['content-type'] = w.encoding === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      if (o.signing) Object.assign(headers, signPayload(o.signing.scheme, o.signing.secret, body));
    }
    return o.api.call({ method: ep.method, url: renderPath(ep.path, vars), query: renderQuery(ep.query, vars), headers, ...(body !== undefined ? { body } : {}) }, what);
  };
  const keyFrom = (json: unknown, fallback: string | null): string => {
    const k = getPath(json, w.responseKeyPath);
    if (isExactDecimal(k)) return k.$dec;
    if (k !== undefined && k !== null && k !== '') return String(k);
    if (fallback) return fallback;
    throw new HttpSyncError(syncError('permanent', `the ${entity.name} write answered without a key at "${w.responseKeyPath}"`));
  };
  const vars = (key: string | null, fields: Record<string, unknown>): TemplateVars => ({ ...o.vars, ...fields, ...(key !== null ? { key } : {}) });
  // The key is addressed by the URL; it is not a writable field.
  const withoutKey = (fields: Record<string, unknown>) => {
    const f = { ...fields };
    delete f[keyField];
    if (!w.upsert) for (const p of keyParts) delete f[p];
    return f;
  };

  if (op.kind === 'delete') {
    if (op.mode === 'soft') {
      if (!w.update || !op.softField) throw new HttpSyncError(syncError('permanent', `a soft delete of ${entity.name} needs an update endpoint and a soft-delete field`));
      await send(w.update, vars(op.key, {}), { [op.softField]: new Date(op.sourceTime).toISOString() }, `soft-deleting ${entity.name} ${op.key}`);
      return { ok: true, key: op.key };
    }
    if (!w.delete) throw new HttpSyncError(syncError('permanent', `${entity.name} has no delete endpoint in this definition; use a soft delete`));
    const keyVars: TemplateVars = { key: op.key };
    if (Array.isArray(entity.primaryKey)) op.key.split(':').forEach((v, i) => (keyVars[keyParts[i]!] = v));
    try {
      await send(w.delete, { ...o.vars, ...keyVars }, null, `deleting ${entity.name} ${op.key}`);
    } catch (e) {
      // Already gone is what a delete wants.
      if (e instanceof HttpSyncError && (e.status === 404 || e.status === 410)) return { ok: true, key: op.key, note: 'not-found' };
      throw e;
    }
    return { ok: true, key: op.key };
  }

  const fields = op.fields;
  // The version this write produced, read from the record the API answers with (its cursor field),
  // so the engine can tell the echo of our own write from a newer change.
  const withVersion = (r: { ok: true; key: string; created?: boolean }, json: unknown) => {
    if (!entity.cursorField) return r;
    const at = w.responseKeyPath.lastIndexOf('.');
    const record = getPath(json, at < 0 ? '' : w.responseKeyPath.slice(0, at));
    const raw = getPath(record, entity.cursorField) ?? getPath(getPath(record, entity.fieldsPath), entity.cursorField);
    const version = toEpochMs(raw, entity.cursorFormat);
    return version === null ? r : { ...r, version };
  };
  // An upsert endpoint does not say whether it created the record, so insertOnly values cannot be honoured there.
  if (w.upsert) {
    const res = await send(w.upsert, vars(op.key, fields), withoutKey(fields), `upserting ${entity.name}`);
    const parts = keyParts.map((p) => fields[p]);
    const fallback = parts.every((p) => p !== undefined && p !== null) ? parts.join(':') : op.key;
    return withVersion({ ok: true, key: Array.isArray(entity.primaryKey) ? fallback! : keyFrom(res.json, fallback) }, res.json);
  }
  // The engine matched (one search per batch, not one per op here): no key means create.
  const key = op.key;
  if (key !== null) {
    if (!w.update) throw new HttpSyncError(syncError('permanent', `${entity.name} has no update endpoint in this definition`));
    try {
      const res = await send(w.update, vars(key, fields), withoutKey(fields), `updating ${entity.name} ${key}`);
      return withVersion({ ok: true, key: keyFrom(res.json, key) }, res.json);
    } catch (e) {
      const gone = e instanceof HttpSyncError && (e.status === 404 || e.status === 410);
      if (!gone || op.key === null) throw e;
      // The linked record was deleted in the target. 'skip' lets the engine re-match; 'create'
      // makes a new one (the API assigns its key, so the result carries the new key).
      if (op.ifMissing === 'skip') return { ok: true, key, note: 'not-found' };
    }
  }
  if (!w.create) throw new HttpSyncError(syncError('permanent', `${entity.name} has no create endpoint in this definition`));
  const createFields = { ...op.insertOnly, ...fields };
  const res = await send(w.create, vars(null, createFields), withoutKey(createFields), `creating ${entity.name}`);
  return withVersion({ ok: true, key: keyFrom(res.json, null), created: true }, res.json);
}
