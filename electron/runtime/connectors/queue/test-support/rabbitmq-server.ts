import { freePort, startBroker, type TestBroker } from './broker.js';

const EPMD = '/usr/lib/erlang/erts-13.1.5/bin/epmd';

/**
 * rabbitmq-server on 127.0.0.1 with a node name, ports and data folder of its own, no plugins. The
 * server script runs directly (the /usr/sbin wrapper switches user into another session, out of
 * the host's reach), with an epmd of its own in the foreground on a free port instead of the
 * system-wide daemon Erlang would otherwise start: both die with the broker's process group.
 * It boots in several seconds: start one per test file.
 */
export async function startRabbitMq(): Promise<TestBroker> {
  const port = await freePort();
  const dist = await freePort();
  const epmdPort = await freePort();
  const name = `sc-${Math.random().toString(36).slice(2, 10)}@localhost`;
  return startBroker({
    binary: '/usr/lib/rabbitmq/bin/rabbitmq-server',
    aptPackage: 'rabbitmq-server',
    port,
    readyMs: 90_000,
    shell: (_port, dir) => `${EPMD} -port ${epmdPort} -address 127.0.0.1 & mkdir -p ${dir}/home && exec /usr/lib/rabbitmq/bin/rabbitmq-server`,
    args: () => [],
    env: (_port, dir) => ({
      ERL_EPMD_PORT: String(epmdPort),
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-start_epmd false',
      RABBITMQ_NODENAME: name,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_DIST_PORT: String(dist),
      RABBITMQ_MNESIA_BASE: `${dir}/mnesia`,
      RABBITMQ_LOG_BASE: `${dir}/log`,
      RABBITMQ_ENABLED_PLUGINS_FILE: `${dir}/enabled_plugins`,
      RABBITMQ_ENABLED_PLUGINS: '',
      RABBITMQ_CONFIG_FILE: `${dir}/rabbitmq`,
      HOME: `${dir}/home`,
    }),
  });
}

export const amqpUrl = (b: TestBroker): string => `amqp://guest:guest@127.0.0.1:${b.port}`;
