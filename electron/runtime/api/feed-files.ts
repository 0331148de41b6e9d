import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { feedSide } from '../../../shared/ai/feed-policy.js';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import { parseJsonlConfig } from '../connectors/jsonl/config.js';
import { resolveFolder } from '../connectors/jsonl/definition.js';

/**
 * Serving an AI feed's JSONL output (docs/ai-feeds.md#serving-a-feed): `GET /feeds/<flow>/<sync>/`
 * lists the published files, `GET /feeds/<flow>/<sync>/<file>` returns one. Only a token scoped to
 * that very feed (synccanvas feeds token) or the server's local token may read it; a feed token
 * reaches nothing else. Parts still being written are never listed.
 */

export const FEEDS_PREFIX = '/feeds/';

export interface FeedAccess {
  /** The feed a scoped token may read, or null. */
  authenticate(token: string): { flowId: string; syncId: string } | null;
  flow(flowId: string): FlowDocument | null;
  dataDir: string;
}

type Json = (res: ServerResponse, status: number, body: { code: 'not_found' | 'forbidden'; message: string } | { files: { name: string; bytes: number }[] }) => void;

/** The folder and entity of an AI feed into a jsonl-folder sink, or why it cannot be served. */
export function feedFolder(flow: FlowDocument | null, syncId: string, dataDir: string): { folder: string; entity: string } | { error: string } {
  const sync = flow?.syncs.find((s) => s.id === syncId);
  if (!flow || !sync) return { error: 'there is no such feed' };
  if (!sync.aiFeed) return { error: `sync "${syncId}" is not an AI feed` };
  const target = flow.systems.find((s) => s.id === sync[feedSide(sync).target].system);
  if (target?.kind !== 'jsonl-folder') return { error: `feed "${syncId}" writes to ${target?.name ?? 'another system'}, not to files: read it there` };
  return { folder: resolveFolder(parseJsonlConfig(target.config).folder, dataDir), entity: sync[feedSide(sync).target].entity };
}

export function serveFeed(pathname: string, principal: { flowId: string; syncId: string } | 'admin', access: FeedAccess, res: ServerResponse, json: Json): void {
  const parts = pathname.slice(FEEDS_PREFIX.length).split('/').map((p) => decodeURIComponent(p));
  const [flowId, syncId, file = ''] = parts;
  if (!flowId || !syncId || parts.length > 3) return json(res, 404, { code: 'not_found', message: 'Feeds are at /feeds/<flow id>/<sync id>/ (a list) and /feeds/<flow id>/<sync id>/<file>.' });
  if (principal !== 'admin' && (principal.flowId !== flowId || principal.syncId !== syncId)) {
    return json(res, 403, { code: 'forbidden', message: `This token reads the feed ${principal.flowId}/${principal.syncId} only.` });
  }
  const where = feedFolder(access.flow(flowId), syncId, access.dataDir);
  if ('error' in where) return json(res, 404, { code: 'not_found', message: `${where.error}.` });
  const published = new RegExp(`^${where.entity.replace(/-/g, '\\-')}\\.\\d{8}\\.jsonl$`);
  if (file === '') {
    const files = fs.existsSync(where.folder) ? fs.readdirSync(where.folder).filter((f) => published.test(f)).sort() : [];
    return json(res, 200, { files: files.map((name) => ({ name, bytes: fs.statSync(path.join(where.folder, name)).size })) });
  }
  if (!published.test(file)) return json(res, 404, { code: 'not_found', message: `No published file ${file} in this feed: list them at /feeds/${flowId}/${syncId}/.` });
  let body: Buffer;
  try {
    body = fs.readFileSync(path.join(where.folder, file));
  } catch {
    return json(res, 404, { code: 'not_found', message: `No published file ${file} in this feed.` });
  }
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}
