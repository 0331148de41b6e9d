/** One captured change. `eventId` is deterministic from the source so a redelivery has the same id. */
export interface ChangeEvent {
  eventId: string;
  system: string;
  entity: string;
  /** The record's primary key in its own system, as a string. */
  key: string;
  op: 'upsert' | 'delete';
  /** Field values after the change (for a delete: the key fields, or whatever the source gives). */
  fields: Record<string, unknown>;
  /** The source's own commit/event time, epoch ms. Lag is measured from here. */
  sourceTime: number;
  /** When the runtime captured it, epoch ms. */
  captureTime: number;
  /** Who made the change: `user` for outside changes, `synccanvas:<flowId>` where the source tags our own writes. */
  origin: string;
  /** An optional monotonically increasing record version (updatedAt, xmin…) used to drop out-of-order deliveries. */
  version?: number;
}

export const RUNTIME_ORIGIN_PREFIX = 'synccanvas:';
