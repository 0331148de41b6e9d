import type { Connector } from '../connectors/types.js';
import type { Outage } from './circuit-breaker.js';
import type { MetricsRecorder } from './metrics-recorder.js';
import type { TransformContext } from './transforms.js';

/**
 * A read-only view of what only a running FlowEngine knows. The engine runs flows; reporting on
 * them (operations/flow-status.ts) and settling conflicts (operations/conflict-resolution.ts) read
 * this view instead of living inside the engine.
 */
export interface LiveFlowState {
  /** The engine's clock (tests drive it), so status and the pipeline agree on "now". */
  now: number;
  running: boolean;
  startedAt: number | null;
  fatal: string | null;
  capturing(systemId: string): boolean;
  systemError(systemId: string): string | null;
  systemDetail(systemId: string): Record<string, unknown>;
  firstSystemError(): string | null;
  /** Whether writes to the system fail or its capture cannot reach it. */
  outage(systemId: string): Outage | null;
  notices: readonly string[];
  metrics: Pick<MetricsRecorder, 'live' | 'recent'>;
  tombstoneTtl(syncId: string): number;
  /** True once the system's capture showed our origin tag: its echoes are recognised by the tag, not by pending values. */
  tagsWrites(systemId: string): boolean;
  connectors: ReadonlyMap<string, Connector>;
  /** Token keys for masking transforms (conflict resolution writes through the same transforms). */
  transformContext?: TransformContext;
}
