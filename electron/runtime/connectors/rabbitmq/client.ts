import amqp, { type ChannelModel } from 'amqplib';
import type { RabbitMqConfig } from './config.js';

const CONNECT_TIMEOUT_MS = 5000;

/**
 * One AMQP connection, opened on first use and opened again after it closes (a broker restart is an
 * outage, not an end). Errors surface through the calls; the 'error' events are listened to so
 * that they never end the process.
 */
export class AmqpClient {
  private conn: Promise<ChannelModel> | null = null;
  private closed = false;

  constructor(
    private readonly config: RabbitMqConfig,
    private readonly secrets: Record<string, string>,
  ) {}

  connection(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(new Error('the RabbitMQ connection is closed'));
    if (!this.conn) {
      const url = new URL(this.config.url);
      const attempt = amqp.connect(
        {
          protocol: url.protocol.replace(':', ''),
          hostname: url.hostname,
          port: url.port ? Number(url.port) : url.protocol === 'amqps:' ? 5671 : 5672,
          username: this.config.user,
          password: this.secrets.password ?? (this.config.user === 'guest' ? 'guest' : ''),
          vhost: this.config.vhost,
          heartbeat: 10,
        },
        { timeout: CONNECT_TIMEOUT_MS },
      );
      this.conn = attempt;
      attempt.then(
        (c) => {
          c.on('error', () => {});
          c.on('close', () => {
            if (this.conn === attempt) this.conn = null;
          });
        },
        () => {
          if (this.conn === attempt) this.conn = null;
        },
      );
    }
    return this.conn;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.conn;
    this.conn = null;
    if (c) await c.then((m) => m.close(), () => {}).catch(() => {});
  }
}
