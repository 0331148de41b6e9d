import { createRequire } from 'node:module';
import type * as Redis from 'redis';
import type { RedisStreamsConfig } from './config.js';

/**
 * node-redis is loaded on first use: loading it costs ~0.4 s of CPU, which every `synccanvas run`
 * would pay at its start (before its first change) whether or not a flow has a Redis system.
 */
const loadRedis = (() => {
  let mod: typeof Redis | null = null;
  const requireFromHere = createRequire(import.meta.url);
  return (): typeof Redis => (mod ??= requireFromHere('redis') as typeof Redis);
})();

/** How long a connect may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A node-redis client that fails fast while disconnected (no offline queue: a command then rejects
 * at once, so a write reports "unavailable" instead of hanging) and reconnects by itself forever.
 */
export function redisClient(config: RedisStreamsConfig, secrets: Record<string, string>) {
  const client = loadRedis().createClient({
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

/**
 * Connects once; a client already open (or opening) is returned as is. node-redis's connect() keeps
 * retrying until Redis answers, so the first connect is bounded here: past the timeout the call
 * fails (the client goes on trying in the background) and the caller reports Redis unreachable.
 */
export async function opened(client: RedisConnection): Promise<RedisConnection> {
  if (!client.isOpen) {
    const connecting = client.connect();
    connecting.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([connecting, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS)))]);
    } finally {
      clearTimeout(timer);
    }
  } else if (!client.isReady) throw new Error('Redis is not reachable (reconnecting)');
  return client;
}

/** Closes a client: politely when it is connected, at once when it is still trying to connect. */
export async function closeClient(client: RedisConnection): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.quit().catch(() => client.destroy());
  else client.destroy();
}
