import type { FlowStatus } from '../../../shared/api/contract.js';
import type { FlowDocument } from '../../../shared/flow/schema.js';
import { tablesInTwoSyncs } from '../../../shared/flow/tables-in-two-syncs.js';
import { placesInOtherFlows } from './places-in-other-flows.js';
import { ApiError } from '../api/handlers.js';
import type { EntityInfo } from '../connectors/types.js';
import { FlowEngine } from '../engine/flow-engine.js';
import type { LiveFlowState } from '../engine/live-state.js';
import { stepPauseHooks } from '../engine/step-pause.js';
import { flowStatus } from '../operations/flow-status.js';
import { loadTokenKeys, TokenKeyMissingError } from '../masking/token-keys.js';
import { TokenKeyError } from '../masking/token.js';
import { withTimeout } from './with-timeout.js';
import { closeSystems, type OpenSystems, type Workspace } from './workspace.js';

export const DISCOVER_TIMEOUT_MS = 10_000;

export interface SupervisorOptions {
  /** The most changes a flow's inbox holds before capture slows down (FlowEngine's maxInboxRows). */
  inboxLimit?: number;
  /** How long applied customer values are kept (store/retention.ts). */
  retentionMs?: number;
}

interface RunningFlow {
  engine: FlowEngine;
  systems: OpenSystems;
}

/**
 * Starts, stops and restarts the flows of one workspace, and lends their open connectors to the
 * operations that need a system (previews, conflict resolution, tests of a connection): a running
 * flow's own, else fresh ones closed afterwards. A CLI command without a runtime gets one too, with
 * no flow started, so its operations run the same code as the app's.
 */
export class FlowSupervisor {
  private readonly running = new Map<string, RunningFlow>();

  constructor(
    private readonly workspace: Workspace,
    private readonly opts: SupervisorOptions = {},
  ) {}

  isRunning(flowId: string): boolean {
    return this.running.has(flowId);
  }

  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** What the running engine of a flow knows, or null when it is stopped. */
  live(flowId: string): LiveFlowState | null {
    return this.running.get(flowId)?.engine.liveState() ?? null;
  }

  status(flowId: string): FlowStatus {
    const live = this.running.get(flowId);
    return flowStatus(this.workspace.store, live?.engine.flow ?? this.workspace.flow(flowId), live?.engine.liveState() ?? null);
  }

  /** Wake a running flow: entries went back to its inbox, or changes held behind a discarded entry may apply now. */
  kick(flowId: string): void {
    this.running.get(flowId)?.engine.kick();
  }

  /** Write edge history still buffered in a running engine, so a preview of history sees it. */
  flushHistory(flowId: string): void {
    this.running.get(flowId)?.engine.flushHistory();
  }

  /** Discover a running flow's systems again (a replay often follows a fix to a column type). */
  async rediscover(flowId: string): Promise<void> {
    const live = this.running.get(flowId);
    if (!live) return;
    await Promise.all(
      [...live.systems].map(async ([id, s]) => {
        try {
          live.engine.updateEntities(id, await withTimeout(s.connector.discover(), DISCOVER_TIMEOUT_MS, `system "${id}"`));
        } catch (e) {
          this.workspace.log('warn', `flow ${flowId}: could not discover "${id}" again before a replay (${(e as Error).message}); the types found at start still apply`);
        }
      }),
    );
  }

  async start(flowId: string): Promise<FlowStatus> {
    if (this.running.has(flowId)) return this.status(flowId);
    const { store, log } = this.workspace;
    const flow = this.workspace.flow(flowId);
    const twice = tablesInTwoSyncs(flow);
    if (twice.length > 0) throw new ApiError('bad_request', `flow "${flow.name}" cannot start: ${twice.map((t) => t.message).join(' ')}`);
    // Only running flows can overwrite each other; preflight names every flow sharing a table, running or not.
    const runningOthers = [...this.running.keys()].filter((id) => id !== flowId).flatMap((id) => store.flows.get(id)?.flow ?? []);
    const shared = placesInOtherFlows(flow, runningOthers, this.workspace.dataDir);
    if (shared.length > 0) throw new ApiError('bad_request', `flow "${flow.name}" cannot start: ${[...new Set(shared.map((s) => s.message))].join(' ')}`);
    let tokenKeys: Map<string, Uint8Array>;
    try {
      tokenKeys = await loadTokenKeys(flow, this.workspace.secrets);
    } catch (e) {
      if (e instanceof TokenKeyMissingError || e instanceof TokenKeyError) throw new ApiError('bad_request', `flow "${flow.name}" cannot start: ${e.message}`);
      throw e;
    }
    const systems = await this.workspace.openSystems(flow);
    const polls = new Map<string, number>();
    for (const [id, s] of systems) polls.set(id, s.definition.pollIntervalMs?.(s.config) ?? 0);
    // Discovered side by side and not awaited here: capture starts at once, applying waits for it.
    const discovery = Promise.all(
      [...systems].map(async ([id, s]): Promise<[string, EntityInfo[]] | null> => {
        try {
          return [id, await withTimeout(s.connector.discover(), DISCOVER_TIMEOUT_MS, `system "${id}"`)];
        } catch (e) {
          log('warn', `flow ${flowId}: could not discover "${id}" (${(e as Error).message}); type checks for it are off until the next start`);
          return null;
        }
      }),
    ).then((found) => new Map(found.filter((f) => f !== null)));
    const engine = new FlowEngine({
      store,
      flow,
      connectors: new Map([...systems].map(([id, s]) => [id, s.connector])),
      discovery,
      pollIntervals: polls,
      transformContext: { tokenKeys },
      ...(this.opts.inboxLimit !== undefined ? { maxInboxRows: this.opts.inboxLimit } : {}),
      ...(this.opts.retentionMs !== undefined ? { retentionMs: this.opts.retentionMs } : {}),
      log: (level, message) => log(level, `flow ${flowId}: ${message}`),
      hooks: stepPauseHooks(process.env),
    });
    this.running.set(flowId, { engine, systems });
    try {
      await engine.start();
    } catch (e) {
      this.running.delete(flowId);
      await closeSystems(systems);
      throw e;
    }
    store.flows.setRunning(flowId, true);
    log('info', `flow ${flowId} started`);
    return this.status(flowId);
  }

  /** Stop a flow (in-flight batches finish, ready changes apply for up to `drainMs`); `remember` marks it stopped for the next open. */
  async stop(flowId: string, remember = true, drainMs = 2000): Promise<FlowStatus> {
    const live = this.running.get(flowId);
    if (live) {
      this.running.delete(flowId);
      await live.engine.stop({ drainMs });
      await closeSystems(live.systems);
      this.workspace.log('info', `flow ${flowId} stopped`);
    }
    if (remember && this.workspace.store.flows.get(flowId)) this.workspace.store.flows.setRunning(flowId, false);
    return this.status(flowId);
  }

  /** Stop a running flow, run `change` (e.g. save a new version), and start it again; a stopped flow only gets the change. */
  async restartAround<T>(flowId: string, change: () => T): Promise<T> {
    const wasRunning = this.running.has(flowId);
    if (wasRunning) await this.stop(flowId, false);
    const result = change();
    if (wasRunning) await this.start(flowId);
    return result;
  }

  async stopAll(drainMs: number): Promise<void> {
    for (const id of [...this.running.keys()]) await this.stop(id, false, drainMs);
  }

  /** Run `fn` with a stored flow's systems: the running flow's connectors when it runs, else fresh ones (closed afterwards). */
  async withSystems<T>(flowId: string, ids: readonly string[], fn: (systems: OpenSystems, flow: FlowDocument) => Promise<T>): Promise<T> {
    const live = this.running.get(flowId);
    const flow = this.workspace.flow(flowId);
    if (live) return fn(live.systems, flow);
    const systems = await this.workspace.openSystems(flow, ids);
    try {
      return await fn(systems, flow);
    } finally {
      await closeSystems(systems);
    }
  }

  /** Like withSystems, for a flow document that may not be saved (a candidate): live connectors when the flow runs and has them. */
  withFlowSystems = async <T>(flow: FlowDocument, ids: string[], fn: (systems: OpenSystems) => Promise<T>): Promise<T> => {
    const live = this.running.get(flow.id);
    if (live && ids.every((id) => live.systems.has(id))) return fn(live.systems);
    const systems = await this.workspace.openSystems(flow, ids);
    try {
      return await fn(systems);
    } finally {
      await closeSystems(systems);
    }
  };
}
