import type { TransformContext } from './transforms.js';
import type { FlowDocument, SyncEdge } from '../../../shared/flow/schema.js';
import type { Connector, FieldInfo } from '../connectors/types.js';
import type { Store } from '../store/store.js';
import type { RetryPolicy } from './backoff.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { EngineHooks } from './engine-hooks.js';
import type { MetricsRecorder } from './metrics-recorder.js';

export interface Clock {
  now(): number;
}

/**
 * What the steps of one flow's pipeline (plan, match, write, settle) share. One object built by
 * FlowEngine, so that each step is a function over it rather than a method of one large class. The
 * maps and sets are the engine's own, live: a step sees what an earlier batch or a capture learnt.
 */
export interface EngineContext {
  readonly flowId: string;
  readonly flow: FlowDocument;
  readonly runtimeOrigin: string;
  readonly store: Store;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly syncs: ReadonlyMap<string, SyncEdge>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly hooks: EngineHooks;
  readonly retry: RetryPolicy;
  readonly metrics: MetricsRecorder;
  /** Targets that are unavailable: their edges pause and their changes wait in the inbox. */
  readonly breakers: CircuitBreakers;
  /** Discovered fields per `system\0entity` (type checks, drift reports). */
  readonly fieldInfo: ReadonlyMap<string, ReadonlyMap<string, FieldInfo>>;
  /** Systems seen tagging our writes with our origin: their echoes never reach decide(). */
  readonly taggingSystems: ReadonlySet<string>;
  /** Token keys for masking transforms, loaded from the secret provider chain at start (docs/ai-feeds.md). */
  readonly transformContext?: TransformContext;
  tombstoneTtl(syncId: string): number;
  systemName(systemId: string): string;
  /** A message for the user (status notices) and the log. */
  notice(message: string): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}
