import { AckPolicy, DeliverPolicy, jetstreamManager, JetStreamApiError, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConfig } from './config.js';
import { NATS_REQUEST_TIMEOUT_MS } from './client.js';

/** JetStream's "stream not found" API error code. */
const STREAM_NOT_FOUND = 10059;

/** Per flow and system: two flows reading one stream each get every message (a consumer of their own). */
export const defaultConsumer = (flowId: string, systemId: string): string => `synccanvas_${flowId}_${systemId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
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
 * Our durable pull consumer with explicit acks, (re)created to start right after its ack floor.
 * Everything at or below the floor was committed (we ack only after the inbox commit, in stream
 * order). Messages above it that a previous run (or a dropped connection) had taken but not
 * acknowledged would otherwise come back only after ack_wait, behind newer messages of the same
 * record: starting again from the floor brings them back first, in order, and those that were
 * committed after all are dropped as duplicates by event id.
 */
export async function resetConsumer(jsm: JetStreamManager, config: NatsConfig, durable: string): Promise<void> {
  let floor = 0;
  try {
    const info = await jsm.consumers.info(config.stream, durable);
    floor = info.ack_floor.stream_seq;
    await jsm.consumers.delete(config.stream, durable);
  } catch (e) {
    if (!(e instanceof JetStreamApiError)) throw e;
  }
  await jsm.consumers.add(config.stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ...(floor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : { deliver_policy: DeliverPolicy.All }),
    filter_subject: sourceFilter(config),
    ack_wait: nanos(config.ackWaitSec * 1000),
    max_ack_pending: Math.max(1000, config.batchSize * 2),
  });
}
