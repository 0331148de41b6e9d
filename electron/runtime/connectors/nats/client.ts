import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConfig } from './config.js';

/** How long a request to the server (a publish ack, a stream lookup) may take before the server counts as unreachable. */
export const NATS_REQUEST_TIMEOUT_MS = 5000;

/**
 * One connection per connector, opened on first use. It reconnects by itself forever (a broker
 * restart is an outage, not an end); a failed first connect is reported and tried again on next use.
 */
export class NatsClient {
  private conn: Promise<NatsConnection> | null = null;
  private closed = false;

  constructor(
    private readonly config: NatsConfig,
    private readonly secrets: Record<string, string>,
    private readonly name: string,
  ) {}

  connection(): Promise<NatsConnection> {
    if (this.closed) return Promise.reject(new Error('the NATS connection is closed'));
    if (!this.conn) {
      const attempt = connect({
        servers: this.config.servers.split(',').map((s) => s.trim()),
        name: this.name,
        ...(this.config.user ? { user: this.config.user, pass: this.secrets.password ?? '' } : {}),
        ...(this.secrets.token ? { token: this.secrets.token } : {}),
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: NATS_REQUEST_TIMEOUT_MS,
        waitOnFirstConnect: false,
      });
      this.conn = attempt;
      attempt.then(
        (nc) => void nc.closed().then(() => { if (this.conn === attempt) this.conn = null; }),
        () => { if (this.conn === attempt) this.conn = null; },
      );
    }
    return this.conn;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.conn;
    this.conn = null;
    if (c) await c.then((nc) => nc.drain().catch(() => nc.close()), () => {});
  }
}
