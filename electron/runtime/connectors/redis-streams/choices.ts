import { opened, type RedisConnection } from './client.js';
import type { RedisStreamsConfig } from './config.js';

/** The config fields the form can fill from what Redis holds. */
export const REDIS_CHOICE_FIELDS = ['keyPrefix', 'group'] as const;

/** Listing stops here: a huge keyspace is not walked for a dropdown. */
const MAX_KEYS = 1000;

/**
 * `keyPrefix`: the prefixes of the stream keys in the database (`crm:orders` → `crm`), since entity
 * E lives in `<keyPrefix>:<E>`. `group`: the consumer groups of the streams under the configured prefix.
 */
export async function redisChoices(client: RedisConnection, config: RedisStreamsConfig, field: string): Promise<string[]> {
  if (!(REDIS_CHOICE_FIELDS as readonly string[]).includes(field)) throw new Error(`Redis has no list for "${field}"; it lists ${REDIS_CHOICE_FIELDS.join(' and ')}`);
  const c = await opened(client);
  const names = new Set<string>();
  let seen = 0;
  const match = field === 'keyPrefix' ? '*' : `${config.keyPrefix}:*`;
  for await (const keys of c.scanIterator({ MATCH: match, TYPE: 'stream', COUNT: 500 })) {
    for (const key of keys) {
      if (seen++ >= MAX_KEYS) return [...names].sort();
      if (field === 'keyPrefix') {
        const cut = key.lastIndexOf(':');
        if (cut > 0) names.add(key.slice(0, cut));
      } else {
        const groups = (await c.xInfoGroups(key)) as unknown as { name: string }[];
        for (const g of groups) names.add(g.name);
      }
    }
  }
  return [...names].sort();
}
