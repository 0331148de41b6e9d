import { createClient } from 'redis';
import type { RedisStreamsConfig } from './config.js';

/** How long a connect may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A node-redis client that fails fast while disconnected (no offline queue: a command then rejects
 * at once, so a write reports "unavailable" instead of hanging) and reconnects by itself forever.
 */
export function redisClient(config: RedisStreamsConfig, secrets: Record<string, string>) {
  const client = createClient({
    url: config.url,
    ...(config.user ? { username: config.user } : {}),
    ...(secrets.password ? { password: secrets.password } : {}),
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) },
  });
  // Errors surface through the commands; an unhandled 'error' event would end the process.
  client.on('error', () => {});
  return client;
}

export type RedisConnection = ReturnType<typeof redisClient>;

/** Connects once; a client already open (or opening) is returned as is. */
export async function opened(client: RedisConnection): Promise<RedisConnection> {
  if (!client.isOpen) await client.connect();
  else if (!client.isReady) throw new Error('Redis is not reachable (reconnecting)');
  return client;
}
