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
  // Errors surface through the commands (and opened()); an unhandled 'error' event would end the process.
  client.on('error', (e: Error) => lastErrors.set(client, e.message));
  client.on('ready', () => lastErrors.delete(client));
  return client;
}

/** Each client's last connection error, to say why Redis is not reachable. */
const lastErrors = new WeakMap<object, string>();

export type RedisConnection = ReturnType<typeof redisClient>;

/**
 * Connects once; a client already open (or opening) is returned as is. node-redis's connect() keeps
 * retrying until Redis answers, so the first connect is bounded here: it fails at the first failed
 * attempt (a refused connection, an unknown host, a wrong password: at once, not after the timeout)
 * or past the timeout (a host that does not answer); the client goes on trying in the background
 * and the caller reports Redis unreachable.
 */
export async function opened(client: RedisConnection): Promise<RedisConnection> {
  if (!client.isOpen) {
    const connecting = client.connect();
    connecting.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    let onError: (e: Error) => void = () => {};
    try {
      await Promise.race([
        connecting,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS))),
        new Promise((_, reject) => client.once('error', (onError = (e: Error) => reject(new Error(`cannot connect: ${e.message}`))))),
      ]);
    } finally {
      clearTimeout(timer);
      client.off('error', onError);
    }
  } else if (!client.isReady) {
    const why = lastErrors.get(client);
    throw new Error(`Redis is not reachable (reconnecting${why ? ` after: ${why}` : ''})`);
  }
  return client;
}

/** Closes a client: politely when it is connected, at once when it is still trying to connect. */
export async function closeClient(client: RedisConnection): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.quit().catch(() => client.destroy());
  else client.destroy();
}
