import { AckPolicy, DeliverPolicy, jetstreamManager, JetStreamApiError, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConfig } from './config.js';
import { NATS_REQUEST_TIMEOUT_MS } from './client.js';

/** JetStream's "stream not found" API error code. */
const STREAM_NOT_FOUND = 10059;

export const defaultConsumer = (systemId: string): string => `synccanvas_${systemId.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
export const sourceFilter = (config: NatsConfig): string => config.filterSubject ?? `${config.subjectPrefix}.>`;

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc, { timeout: NATS_REQUEST_TIMEOUT_MS });
}

/** The stream, created (subjects `<prefix>.>`, file storage, the duplicate window) when allowed and missing. */
export async function ensureStream(jsm: JetStreamManager, config: NatsConfig): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(config.stream);
  } catch (e) {
    if (!(e instanceof JetStreamApiError) || e.code !== STREAM_NOT_FOUND) throw e;
    if (!config.createStream) throw new Error(`there is no stream "${config.stream}" on the server: create it (subjects ${config.subjectPrefix}.>) or turn on "createStream"`);
    return jsm.streams.add({
      name: config.stream,
      subjects: [`${config.subjectPrefix}.>`],
      storage: StorageType.File,
      duplicate_window: nanos(config.duplicateWindowSec * 1000),
    });
  }
}

/**
 * Our durable pull consumer with explicit acks: the server keeps its position across our restarts
 * and redelivers what we had not acknowledged. One pending window at most `maxAckPending`.
 */
export async function ensureConsumer(jsm: JetStreamManager, config: NatsConfig, durable: string): Promise<void> {
  const wanted = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: sourceFilter(config),
    ack_wait: nanos(config.ackWaitSec * 1000),
    max_ack_pending: Math.max(1000, config.batchSize * 2),
  };
  try {
    const info = await jsm.consumers.info(config.stream, durable);
    if (info.config.filter_subject !== wanted.filter_subject || info.config.ack_wait !== wanted.ack_wait) await jsm.consumers.update(config.stream, durable, { filter_subject: wanted.filter_subject, ack_wait: wanted.ack_wait });
  } catch (e) {
    if (!(e instanceof JetStreamApiError)) throw e;
    await jsm.consumers.add(config.stream, wanted);
  }
}
