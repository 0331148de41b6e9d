import type { NatsClient } from './client.js';
import type { NatsConfig } from './config.js';
import { manager } from './stream-setup.js';

/** The config fields the form can fill from the server's own lists. */
export const NATS_CHOICE_FIELDS = ['stream', 'consumer'] as const;

/** Stream names, or the durable consumers of the configured stream (none when it does not exist yet). */
export async function natsChoices(client: NatsClient, config: NatsConfig, field: string): Promise<string[]> {
  if (!(NATS_CHOICE_FIELDS as readonly string[]).includes(field)) throw new Error(`NATS has no list for "${field}"; it lists ${NATS_CHOICE_FIELDS.join(' and ')}`);
  const jsm = await manager(await client.connection());
  const names: string[] = [];
  if (field === 'stream') {
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    return names.sort();
  }
  try {
    for await (const c of jsm.consumers.list(config.stream)) names.push(c.name);
  } catch (e) {
    throw new Error(`cannot list the consumers of stream "${config.stream}": ${(e as Error).message}`);
  }
  return names.sort();
}
