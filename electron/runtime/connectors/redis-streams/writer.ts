import { syncError, type SyncError } from '../../../../shared/errors.js';
import { entityKeyField, type EntitySpec } from '../definitions/format.js';
import { envelopeOf } from '../queue/envelope.js';
import type { WriteOp, WriteResult } from '../types.js';
import { opened, type RedisConnection } from './client.js';
import { streamKey, type RedisStreamsConfig } from './config.js';

/**
 * XADD guarded against a re-send: in one atomic script, append the entry only if the change's id is
 * not remembered yet, then remember it (with the entry id, for `sentMemorySec`); a re-send returns
 * the entry id written the first time and appends nothing. The check comes first and the marker
 * last, so a failing XADD (a key that is not a stream) leaves no marker behind.
 */
const GUARDED_XADD = `
local prev = redis.call('GET', KEYS[2])
if prev then return prev end
local id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[2], 'origin', ARGV[3])
redis.call('SET', KEYS[2], id, 'EX', ARGV[4])
return id
`;

/** The field of our own entries that carries the flow's origin tag (its echo when read back). */
export const ORIGIN_FIELD = 'origin';

export function classifyRedisError(e: unknown, what: string): SyncError {
  return syncError('unavailable', `${what}: ${(e as Error)?.message ?? String(e)}`, { retryAfterMs: 1000 });
}

/**
 * Appends each write's envelope to `<keyPrefix>:<entity>` through the guarded script. The calls of
 * one write go out pipelined on one connection, so Redis runs them in array order. Any Redis error
 * (down, loading, out of memory, read-only replica, the key not a stream) pauses the edge.
 */
export async function writeRedisStreams(client: RedisConnection, config: RedisStreamsConfig, entity: EntitySpec, ops: WriteOp[], origin: string): Promise<WriteResult[]> {
  const keyField = entityKeyField(entity);
  const stream = streamKey(config, entity.name);
  const results: WriteResult[] = new Array(ops.length);
  try {
    await opened(client);
  } catch (e) {
    const error = classifyRedisError(e, `Redis ${config.url}`);
    return ops.map(() => ({ ok: false, error }));
  }
  await Promise.all(
    ops.map(async (op, i) => {
      const env = envelopeOf(entity.name, keyField, op, origin);
      if (!env.ok) {
        results[i] = { ok: false, error: env.error };
        return;
      }
      try {
        await client.eval(GUARDED_XADD, {
          keys: [stream, `${config.keyPrefix}:sent:${env.message.id}`],
          arguments: [config.bodyField, env.message.body, origin, String(config.sentMemorySec)],
        });
        results[i] = { ok: true, key: env.message.key };
      } catch (e) {
        results[i] = { ok: false, error: classifyRedisError(e, `appending ${entity.name} ${env.message.key} to ${stream}`) };
      }
    }),
  );
  return results;
}
