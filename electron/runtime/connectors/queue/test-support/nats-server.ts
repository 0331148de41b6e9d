import { startBroker, type TestBroker } from './broker.js';

/** nats-server with JetStream (file storage in a temp folder) on 127.0.0.1 and a free port. */
export function startNatsServer(): Promise<TestBroker> {
  return startBroker({
    binary: '/usr/sbin/nats-server',
    aptPackage: 'nats-server',
    args: (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
  });
}

export const natsUrl = (b: TestBroker): string => `nats://127.0.0.1:${b.port}`;
