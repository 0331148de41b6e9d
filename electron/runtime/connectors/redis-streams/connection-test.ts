import type { ConnectionCheck, ConnectionTestResult } from '../types.js';
import { opened, type RedisConnection } from './client.js';
import { streamKey, type RedisStreamsConfig } from './config.js';

/**
 * Reaches Redis, checks it has streams (5.0+), and lists what there is to pick from: the stream keys
 * under the prefix with their length, and the consumer groups of each.
 */
export async function testRedisConnection(client: RedisConnection, config: RedisStreamsConfig, group: string): Promise<ConnectionTestResult> {
  const checks: ConnectionCheck[] = [];
  const done = (): ConnectionTestResult => {
    const bad = checks.find((c) => !c.ok);
    return { ok: !bad, message: bad ? bad.message : `ready; SyncCanvas reads ${config.entities.map((e) => streamKey(config, e.name)).join(', ')} as group "${group}"`, checks };
  };
  let c: RedisConnection;
  try {
    c = await opened(client);
    const info = await c.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const major = Number(version.split('.')[0]);
    checks.push({ name: 'server', ok: major >= 5, message: major >= 5 ? `Redis ${version}` : `Redis ${version} has no streams: use 5.0 or later` });
  } catch (e) {
    checks.push({ name: 'server', ok: false, message: `cannot reach Redis at ${config.url}: ${(e as Error).message}; check the URL, that redis-server runs, and the password` });
    return done();
  }
  const found: string[] = [];
  for await (const keys of c.scanIterator({ MATCH: `${config.keyPrefix}:*`, TYPE: 'stream', COUNT: 500 })) {
    for (const key of keys) {
      if (found.length >= 100) break;
      const length = await c.xLen(key);
      const groups = (await c.xInfoGroups(key)) as unknown as { name: string; pending: number }[];
      found.push(`${key} (${length} entries; groups: ${groups.map((g) => `${g.name} ${g.pending} pending`).join(', ') || 'none'})`);
    }
  }
  checks.push({ name: 'streams', ok: true, message: found.length ? found.join('; ') : `none under "${config.keyPrefix}:" yet; they are created on first start` });
  return done();
}
