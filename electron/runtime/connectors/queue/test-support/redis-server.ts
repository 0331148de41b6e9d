import { startBroker, type TestBroker } from './broker.js';

/**
 * redis-server on 127.0.0.1 and a free port, its data in a temp folder; every write is in the
 * append-only file before Redis answers (`appendfsync always`), so a SIGKILLed server keeps what it
 * acknowledged, as a durable production setup would.
 */
export function startRedisServer(): Promise<TestBroker> {
  return startBroker({
    binary: '/usr/bin/redis-server',
    aptPackage: 'redis-server',
    args: (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no'],
  });
}

export const redisUrl = (b: TestBroker): string => `redis://127.0.0.1:${b.port}`;
