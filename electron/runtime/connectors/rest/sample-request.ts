import type { FieldSpec } from '../definitions/format.js';
import { ApiCaller } from './api-caller.js';
import { Authenticator } from './auth.js';
import { HttpClient } from './http-client.js';
import type { RestConfig } from './definition.js';

/** What one sample response says about an entity: where its records are, their fields and key. */
export interface DetectedEntity {
  name: string;
  recordsPath: string;
  primaryKey: string;
  fields: { name: string; type: FieldSpec['type'] }[];
  count: number;
  sample: Record<string, unknown> | null;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

const isRecordList = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.length > 0 && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));

/** The records of a list response: the body itself, or the first list of objects one or two levels down (`data`, `results`, `data.items`). */
function findRecords(body: unknown): { path: string; records: Record<string, unknown>[] } | null {
  if (isRecordList(body)) return { path: '', records: body };
  if (!body || typeof body !== 'object') return null;
  const level = (obj: Record<string, unknown>, prefix: string) => Object.entries(obj).map(([k, v]) => ({ path: prefix ? `${prefix}.${k}` : k, value: v }));
  const first = level(body as Record<string, unknown>, '');
  for (const { path, value } of first) if (isRecordList(value) && NAME.test(path)) return { path, records: value };
  for (const { path, value } of first) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    for (const inner of level(value as Record<string, unknown>, path)) if (isRecordList(inner.value)) return { path: inner.path, records: inner.value };
  }
  return null;
}

function typeOf(values: unknown[]): FieldSpec['type'] {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'string';
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  if (present.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'integer';
  if (present.every((v) => typeof v === 'number')) return 'number';
  if (present.every((v) => typeof v === 'string')) {
    if (present.every((v) => ISO_DATE.test(v as string))) return 'date';
    if (present.every((v) => ISO_TIME.test(v as string))) return 'datetime';
    return 'string';
  }
  return 'json';
}

/** Reads an entity off a sample list response; throws with what to change when the body holds no list of records. */
export function detectEntity(body: unknown, requestPath: string): DetectedEntity {
  const found = findRecords(body);
  if (!found) throw new Error(`the answer to ${requestPath} holds no list of records (an array of objects, at the top or under a key such as "data"): use the address that lists the records`);
  const records = found.records.slice(0, 50);
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((n) => n.length <= 128);
  const fields = names.map((n) => ({ name: n, type: typeOf(records.map((r) => r[n])) }));
  const primaryKey = names.find((n) => n === 'id') ?? names.find((n) => /(^|_)id$/i.test(n) || /Id$/.test(n)) ?? names[0]!;
  const segment = requestPath.split('?')[0]!.split('/').filter((s) => s && !s.includes('{')).pop() ?? 'records';
  const cleaned = segment.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z]+/, '');
  return { name: cleaned || 'records', recordsPath: found.path, primaryKey, fields, count: found.records.length, sample: records[0] ?? null };
}

/** One GET to the API as the connector would make it (address, auth, headers), and what its answer says. */
export async function sampleRequest(config: RestConfig, secrets: Record<string, string>, requestPath: string): Promise<DetectedEntity> {
  const vars = { config: config.connection.vars };
  const http = new HttpClient({ baseUrl: config.connection.baseUrl ?? config.baseUrl, connections: 1, timeoutMs: config.connection.timeoutMs, ...(config.connection.caCert ? { ca: config.connection.caCert } : {}) });
  try {
    const api = new ApiCaller(http, new Authenticator(config.auth, secrets, vars, http, config.connection.caCert), config.headers);
    const [pathOnly, queryText] = requestPath.split('?', 2) as [string, string | undefined];
    const query = Object.fromEntries(new URLSearchParams(queryText ?? ''));
    const res = await api.call({ method: 'GET', url: pathOnly, query }, `the sample request ${requestPath}`, { retries: 0 });
    return detectEntity(res.json, requestPath);
  } finally {
    await http.close();
  }
}
