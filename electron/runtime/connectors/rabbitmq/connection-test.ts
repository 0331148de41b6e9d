import type { Channel, ChannelModel } from 'amqplib';
import type { ConnectionCheck, ConnectionTestResult } from '../types.js';
import type { AmqpClient } from './client.js';
import type { RabbitMqConfig } from './config.js';

/**
 * Reaches the broker and checks, through AMQP (the management API may be off), the exchange and
 * the queue named in the settings, with the queue's message and consumer counts. Each check runs
 * on a channel of its own: a missing name closes the channel it was asked on.
 */
export async function testRabbitConnection(client: AmqpClient, config: RabbitMqConfig, queue: string): Promise<ConnectionTestResult> {
  const checks: ConnectionCheck[] = [];
  const done = (): ConnectionTestResult => {
    const bad = checks.find((c) => !c.ok);
    return { ok: !bad, message: bad ? bad.message : `ready; SyncCanvas publishes to ${config.exchange} and reads ${queue}`, checks };
  };
  let conn: ChannelModel;
  try {
    conn = await client.connection();
    const props = conn.connection.serverProperties;
    checks.push({ name: 'server', ok: true, message: `${props.product ?? 'RabbitMQ'} ${props.version ?? ''}`.trim() });
  } catch (e) {
    checks.push({ name: 'server', ok: false, message: `cannot reach RabbitMQ at ${config.url} (vhost ${config.vhost}): ${(e as Error).message}; check the URL, that rabbitmq-server runs, the user and password` });
    return done();
  }
  const model = conn;
  const probe = async <T>(fn: (ch: Channel) => Promise<T>): Promise<T | Error> => {
    const ch = await model.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } catch (e) {
      return e as Error;
    } finally {
      await ch.close().catch(() => {});
    }
  };
  const ex = await probe((ch) => ch.checkExchange(config.exchange));
  checks.push(
    ex instanceof Error
      ? { name: 'exchange', ok: config.createQueue, message: config.createQueue ? `${config.exchange} does not exist yet; it is declared (topic, durable) on first use` : `there is no exchange "${config.exchange}": create it or turn on "createQueue"` }
      : { name: 'exchange', ok: true, message: `${config.exchange} exists` },
  );
  const q = await probe((ch) => ch.checkQueue(queue));
  checks.push(
    q instanceof Error
      ? { name: 'queue', ok: config.createQueue, message: config.createQueue ? `${queue} does not exist yet; it is declared and bound on first start` : `there is no queue "${queue}": create it or turn on "createQueue"` }
      : { name: 'queue', ok: true, message: `${queue}: ${q.messageCount} messages ready, ${q.consumerCount} consumers` },
  );
  return done();
}
