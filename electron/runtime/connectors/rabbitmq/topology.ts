import type { Channel } from 'amqplib';
import { keyToken } from '../queue/subject-token.js';
import type { RabbitMqConfig } from './config.js';

/** The exchange (topic, durable) our writes go to; a queue bound to `<entity>.#` for each entity the source reads. */
export async function declareTopology(ch: Channel, config: RabbitMqConfig, queue: string | null, entities: string[]): Promise<void> {
  if (!config.createQueue) {
    // Names the user typed must exist: checkQueue fails (and closes the channel) when they do not.
    if (queue) await ch.checkQueue(queue);
    return;
  }
  await ch.assertExchange(config.exchange, 'topic', { durable: true });
  if (queue) {
    await ch.assertQueue(queue, { durable: true });
    for (const e of entities) await ch.bindQueue(queue, config.exchange, `${keyToken(e)}.#`);
  }
}
