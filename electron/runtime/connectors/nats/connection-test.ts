import type { ConnectionCheck, ConnectionTestResult } from '../types.js';
import type { NatsClient } from './client.js';
import type { NatsConfig } from './config.js';
import { manager, sourceFilter } from './stream-setup.js';

/**
 * Reaches the server, checks JetStream, and lists what there is to pick from: the streams with
 * their subjects, and the consumers of the configured stream (ours is created on first start).
 */
export async function testNatsConnection(client: NatsClient, config: NatsConfig, durable: string): Promise<ConnectionTestResult> {
  const checks: ConnectionCheck[] = [];
  const done = (): ConnectionTestResult => {
    const bad = checks.find((c) => !c.ok);
    return { ok: !bad, message: bad ? bad.message : `stream ${config.stream} is ready; SyncCanvas reads ${sourceFilter(config)} as "${durable}"`, checks };
  };
  let nc;
  try {
    nc = await client.connection();
    checks.push({ name: 'server', ok: true, message: `connected to ${nc.getServer()} (NATS ${nc.info?.version ?? '?'})` });
  } catch (e) {
    checks.push({ name: 'server', ok: false, message: `cannot reach NATS at ${config.servers}: ${(e as Error).message}; check the URL, that nats-server runs, and the credentials` });
    return done();
  }
  let jsm;
  try {
    jsm = await manager(nc);
    await jsm.getAccountInfo();
    checks.push({ name: 'JetStream', ok: true, message: 'enabled' });
  } catch (e) {
    checks.push({ name: 'JetStream', ok: false, message: `JetStream is not available (${(e as Error).message}): start nats-server with -js or enable jetstream in its config` });
    return done();
  }
  const streams: string[] = [];
  let found = false;
  for await (const s of jsm.streams.list()) {
    streams.push(`${s.config.name} (${(s.config.subjects ?? []).join(', ')}; ${s.state.messages} messages)`);
    if (s.config.name === config.stream) found = true;
  }
  checks.push({ name: 'streams', ok: true, message: streams.length ? streams.join('; ') : 'none yet' });
  if (!found) {
    checks.push({
      name: 'stream',
      ok: config.createStream,
      message: config.createStream
        ? `"${config.stream}" does not exist yet; it is created on first start (subjects ${config.subjectPrefix}.>)`
        : `there is no stream "${config.stream}": create it or turn on "createStream"`,
    });
    return done();
  }
  const consumers: string[] = [];
  for await (const c of jsm.consumers.list(config.stream)) consumers.push(`${c.name} (${c.config.filter_subject ?? 'all subjects'}, ${c.num_pending} pending)`);
  checks.push({ name: 'consumers', ok: true, message: consumers.length ? consumers.join('; ') : `none yet; "${durable}" is created on first start` });
  return done();
}
