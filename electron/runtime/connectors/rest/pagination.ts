import { syncError } from '../../../../shared/errors.js';
import type { PaginationSpec } from '../definitions/format.js';
import { getPath } from '../definitions/json-path.js';
import type { ApiCaller, CallOptions } from './api-caller.js';
import { HttpSyncError, type HttpRequest } from './http-client.js';

export interface ListRequest {
  method: HttpRequest['method'];
  path: string;
  query: Record<string, string>;
  body?: string;
  recordsPath: string;
}

/** The `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(header: string | string[] | undefined): string | null {
  const v = Array.isArray(header) ? header.join(',') : header;
  if (!v) return null;
  for (const part of v.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

/** Every page of a list endpoint, as arrays of raw records, following the definition's pagination. */
export async function* readPages(api: ApiCaller, first: ListRequest, pagination: PaginationSpec, what: string, opts: CallOptions = {}, maxPages = 100_000): AsyncGenerator<unknown[]> {
  let req: HttpRequest = { method: first.method, url: first.path, query: { ...first.query }, ...(first.body !== undefined ? { body: first.body, headers: { 'content-type': 'application/json' } } : {}) };
  if (pagination.type === 'offset') {
    req.query = { ...req.query, [pagination.limitParam]: String(pagination.pageSize), [pagination.offsetParam]: '0' };
  }
  const seenTokens = new Set<string>();
  let offset = 0;
  for (let page = 0; page < maxPages; page++) {
    const res = await api.call(req, what, opts);
    const records = getPath(res.json, first.recordsPath);
    if (!Array.isArray(records)) {
      throw new HttpSyncError(syncError('permanent', `${what}: expected a list at "${first.recordsPath || '(body)'}" in the response`, { response: res.text.slice(0, 300) }));
    }
    yield records;
    let next: string | null = null;
    switch (pagination.type) {
      case 'none':
        return;
      case 'cursor': {
        if (pagination.stopPath && getPath(res.json, pagination.stopPath) === true) return;
        const token = getPath(res.json, pagination.nextPath);
        if (token === undefined || token === null || token === '') return;
        next = String(token);
        const query = { ...req.query, [pagination.param]: next };
        for (const p of pagination.dropAfterFirst) delete query[p];
        req = { ...req, query };
        break;
      }
      case 'last-id': {
        if (getPath(res.json, pagination.hasMorePath) !== true || records.length === 0) return;
        const last = records[records.length - 1] as Record<string, unknown>;
        next = String(last?.[pagination.idField] ?? '');
        if (!next) throw new HttpSyncError(syncError('permanent', `${what}: the last record has no "${pagination.idField}" to page after`));
        req = { ...req, query: { ...req.query, [pagination.param]: next } };
        break;
      }
      case 'offset': {
        if (records.length < pagination.pageSize) return;
        offset += records.length;
        next = String(offset);
        req = { ...req, query: { ...req.query, [pagination.offsetParam]: next } };
        break;
      }
      case 'link-header': {
        next = nextLink(res.headers.link);
        if (!next) return;
        // The next URL carries its own query (Shopify page_info forbids repeating the filters).
        req = { method: req.method, url: next, query: {} };
        break;
      }
    }
    if (seenTokens.has(next)) throw new HttpSyncError(syncError('permanent', `${what}: the server returned the same next page twice (${next}); stopping instead of looping`));
    seenTokens.add(next);
  }
  throw new HttpSyncError(syncError('permanent', `${what}: more than ${maxPages} pages; narrow the request`));
}
