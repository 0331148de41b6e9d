import { syncError, type SyncError } from '../../../../shared/errors.js';
import { entityKeyField, type EntitySpec } from '../definitions/format.js';
import { envelopeOf } from '../queue/envelope.js';
import type { WriteOp, WriteResult } from '../types.js';
import { opened, type RedisConnection } from './client.js';
import { streamKey, type RedisStreamsConfig } from './config.js';

/**
 * XADDs guarded against a re-send, a whole chunk of changes in one atomic script: for each change in
 * order, append the entry only if its id is not remembered yet, then remember it (with the entry id,
 * for `sentMemorySec`); a re-sent change appends nothing. Per change the check comes first and the
 * marker last, so a failing XADD (a key that is not a stream) leaves no marker behind, and a chunk
 * that fails half-way is re-sent whole: the changes it did append are recognised by their markers.
 * KEYS = the stream, then one marker per change; ARGV = body field, origin, memory seconds, bodies.
 */
const GUARDED_XADDS = `
for i = 2, #KEYS do
  if not redis.call('GET', KEYS[i]) then
    local id = redis.call('XADD', KEYS[1], '*', ARGV[1], ARGV[i + 2], 'origin', ARGV[2])
    redis.call('SET', KEYS[i], id, 'EX', ARGV[3])
  end
end
return #KEYS - 1
`;

/**
 * Changes per script call: one call instead of one per change is what makes the sink fast (one
 * reply and one append-only-file write per chunk), and a bound keeps Redis, which runs a script to
 * the end before anything else, answering other clients between chunks.
 */
const CHUNK = 500;

/** The field of our own entries that carries the flow's origin tag (its echo when read back). */
export const ORIGIN_FIELD = 'origin';

export function classifyRedisError(e: unknown, what: string): SyncError {
  return syncError('unavailable', `${what}: ${(e as Error)?.message ?? String(e)}`, { retryAfterMs: 1000 });
}

/**
 * Appends each write's envelope to `<keyPrefix>:<entity>` through the guarded script, a chunk of
 * changes per call. The chunks of one write go out pipelined on one connection, so Redis runs them,
 * and the changes in them, in array order. Any Redis error (down, loading, out of memory, read-only
 * replica, the key not a stream) pauses the edge: the changes of the failed chunk are unavailable.
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
  const ready: { i: number; id: string; key: string; body: string }[] = [];
  ops.forEach((op, i) => {
    const env = envelopeOf(entity.name, keyField, op, origin);
    if (env.ok) ready.push({ i, id: env.message.id, key: env.message.key, body: env.message.body });
    else results[i] = { ok: false, error: env.error };
  });
  const chunks: (typeof ready)[] = [];
  for (let from = 0; from < ready.length; from += CHUNK) chunks.push(ready.slice(from, from + CHUNK));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        await client.eval(GUARDED_XADDS, {
          keys: [stream, ...chunk.map((c) => `${config.keyPrefix}:sent:${c.id}`)],
          arguments: [config.bodyField, origin, String(config.sentMemorySec), ...chunk.map((c) => c.body)],
        });
        for (const c of chunk) results[c.i] = { ok: true, key: c.key };
      } catch (e) {
        const what = chunk.length === 1 ? `${entity.name} ${chunk[0]!.key}` : `${chunk.length} ${entity.name} changes (${chunk[0]!.key} … ${chunk[chunk.length - 1]!.key})`;
        const error = classifyRedisError(e, `appending ${what} to ${stream}`);
        for (const c of chunk) results[c.i] = { ok: false, error };
      }
    }),
  );
  return results;
}
