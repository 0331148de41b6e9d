import path from 'node:path';
import { z } from 'zod';
import type { ApiOutputs, FlowStatus, RuntimeEvent } from '../../shared/api/contract.js';
import { FLOW_SCHEMA_VERSION, SystemSchema, type FlowDocument } from '../../shared/flow/schema.js';
import { parseFlowDocument, zodIssues } from '../../shared/flow/validate.js';
import { ApiError, type ApiHandlers } from './api/handlers.js';
import { connectorDefinitions } from './connectors/registry.js';
import { openSystem, resolveSystem, SystemSetupError, type OpenedSystem } from './connectors/system-connections.js';
import type { EntityInfo } from './connectors/types.js';
import { ensureDemoSystems } from './demo/demo-systems.js';
import { DEMO_FLOW } from './demo/demo-flow.js';
import { startSimulator, type Simulator } from './demo/simulator.js';
import { ConflictResolutionError, FlowEngine } from './engine/flow-engine.js';
import { matchingReport } from './engine/matching-report.js';
import { compareRecord, runPreview } from './preview-runner.js';
import { runHistoryPreview } from './operations/history-preview.js';
import { runPreflight, type WithSystems } from './operations/preflight-runner.js';
import type { ChangeEvent } from '../../shared/events.js';
import type { SecretStore } from './secrets/secret-store.js';
import { createSecretChain } from './secrets/default-chain.js';
import { DATA_KEY_SECRET, loadDataKey, weakKeyNotice } from './secrets/data-key.js';
import { tablesInTwoSyncs } from '../../shared/flow/tables-in-two-syncs.js';
import { SecretProviderChain } from './secrets/provider-chain.js';
import type { SecretSourceId } from './secrets/secret-provider.js';
import { Store } from './store/store.js';
import { stepPauseHooks } from './engine/step-pause.js';
import { acquireWorkspaceLock } from './workspace-lock.js';
import pkg from '../../package.json' with { type: 'json' };

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export interface RuntimeOptions {
  workspaceDir: string;
  /** Open the demo workspace: two local SQLite systems, the demo flow, and a change simulator. */
  demo?: boolean | { ratePerSec?: number; simulate?: boolean };
  secrets?: SecretStore;
  log?: Logger;
  /** Start flows that were running when the workspace was last closed (default true). */
  resume?: boolean;
  /** The most changes a flow's inbox holds before capture slows down (FlowEngine's maxInboxRows). */
  inboxLimit?: number;
  /** How long applied customer values are kept (store/retention.ts; default 7 days). */
  retentionMs?: number;
}

export interface Runtime {
  readonly workspaceDir: string;
  readonly store: Store;
  readonly api: ApiHandlers;
  subscribe(listener: (e: RuntimeEvent) => void): () => void;
  /** Stop every flow (in-flight batches finish, ready changes are applied for up to `drainMs`; the rest stays in the inbox) and close the workspace. */
  close(opts?: { drainMs?: number }): Promise<void>;
}

interface RunningFlow {
  engine: FlowEngine;
  systems: Map<string, OpenedSystem>;
}

const DISCOVER_TIMEOUT_MS = 10_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** Opens a workspace and serves the runtime API over it. One runtime per workspace (a lock file enforces it). */
export async function openRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const workspaceDir = path.resolve(opts.workspaceDir);
  const release = acquireWorkspaceLock(workspaceDir);
  let store: Store;
  try {
    store = Store.open(path.join(workspaceDir, 'workspace.db'));
  } catch (e) {
    release();
    throw e;
  }
  const dataDir = path.join(workspaceDir, 'data');
  const secrets = opts.secrets ?? (await createSecretChain({ workspaceDir }));
  const log: Logger = opts.log ?? (() => {});
  try {
    const dataKey = (await loadDataKey(secrets, workspaceDir, { create: true, sealedDataExists: store.hasSealedData() }))!;
    store.cipher.setKey(dataKey.key);
    if (dataKey.weak) log('warn', weakKeyNotice(dataKey));
  } catch (e) {
    store.close();
    release();
    throw e;
  }
  const running = new Map<string, RunningFlow>();
  const listeners = new Set<(e: RuntimeEvent) => void>();
  let pushTimer: NodeJS.Timeout | null = null;
  let simulator: Simulator | null = null;
  let closed = false;
  const demo = opts.demo ? { ratePerSec: 2, simulate: true, ...(typeof opts.demo === 'object' ? opts.demo : {}) } : null;

  const emit = (e: RuntimeEvent) => {
    for (const l of listeners) {
      try {
        l(e);
      } catch (err) {
        log('warn', `event listener failed: ${(err as Error).message}`);
      }
    }
  };

  const loadFlow = (flowId: string): FlowDocument => {
    const stored = store.flows.get(flowId);
    if (!stored) throw new ApiError('not_found', `there is no flow "${flowId}" in this workspace`);
    return stored.flow;
  };

  const detachedEngine = (flowId: string): FlowEngine =>
    running.get(flowId)?.engine ?? new FlowEngine({ store, flow: loadFlow(flowId), connectors: new Map() });

  const statusOf = (flowId: string): FlowStatus => detachedEngine(flowId).status();

  const openSystems = async (flow: FlowDocument, ids?: string[]): Promise<Map<string, OpenedSystem>> => {
    const out = new Map<string, OpenedSystem>();
    try {
      for (const system of flow.systems) {
        if (ids && !ids.includes(system.id)) continue;
        out.set(system.id, await openSystem(flow, system, secrets, dataDir));
      }
    } catch (e) {
      await Promise.allSettled([...out.values()].map((o) => o.connector.close()));
      if (e instanceof SystemSetupError) throw new ApiError('bad_request', e.message);
      throw e;
    }
    return out;
  };

  /** Use the running flow's connectors when there are, else open (and later close) fresh ones. */
  const withSystems = async <T>(flowId: string, ids: string[], fn: (systems: Map<string, OpenedSystem>, flow: FlowDocument) => Promise<T>): Promise<T> => {
    const live = running.get(flowId);
    const flow = loadFlow(flowId);
    if (live) return fn(live.systems, flow);
    const systems = await openSystems(flow, ids);
    try {
      return await fn(systems, flow);
    } finally {
      await Promise.allSettled([...systems.values()].map((o) => o.connector.close()));
    }
  };

  const startFlow = async (flowId: string): Promise<FlowStatus> => {
    if (running.has(flowId)) return statusOf(flowId);
    const flow = loadFlow(flowId);
    const twice = tablesInTwoSyncs(flow);
    if (twice.length > 0) throw new ApiError('bad_request', `flow "${flow.name}" cannot start: ${twice.map((t) => t.message).join(' ')}`);
    const systems = await openSystems(flow);
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
      ...(opts.inboxLimit !== undefined ? { maxInboxRows: opts.inboxLimit } : {}),
      ...(opts.retentionMs !== undefined ? { retentionMs: opts.retentionMs } : {}),
      log: (level, message) => log(level, `flow ${flowId}: ${message}`),
      hooks: stepPauseHooks(process.env),
    });
    running.set(flowId, { engine, systems });
    try {
      await engine.start();
    } catch (e) {
      running.delete(flowId);
      await Promise.allSettled([...systems.values()].map((o) => o.connector.close()));
      throw e;
    }
    store.flows.setRunning(flowId, true);
    log('info', `flow ${flowId} started`);
    return engine.status();
  };

  const stopFlow = async (flowId: string, remember = true, drainMs = 2000): Promise<FlowStatus> => {
    const live = running.get(flowId);
    if (live) {
      running.delete(flowId);
      await live.engine.stop({ drainMs });
      await Promise.allSettled([...live.systems.values()].map((o) => o.connector.close()));
      log('info', `flow ${flowId} stopped`);
    }
    if (remember && store.flows.get(flowId)) store.flows.setRunning(flowId, false);
    return statusOf(flowId);
  };

  const saveFlow = async (input: unknown): Promise<ApiOutputs['flows.save']> => {
    const parsed = parseFlowDocument(input);
    if (!parsed.ok) return { ok: false, issues: parsed.issues };
    const wasRunning = running.has(parsed.flow.id);
    if (wasRunning) await stopFlow(parsed.flow.id, false);
    store.flows.save(parsed.flow, Date.now());
    if (wasRunning) await startFlow(parsed.flow.id);
    return { ok: true, flow: parsed.flow };
  };

  /** Like withSystems, for a flow document that may not be saved (a candidate): live connectors when the flow runs. */
  const withFlowSystems: WithSystems = async (flow, ids, fn) => {
    const live = running.get(flow.id);
    if (live && ids.every((id) => live.systems.has(id))) return fn(live.systems);
    const systems = await openSystems(flow, ids);
    try {
      return await fn(systems);
    } finally {
      await Promise.allSettled([...systems.values()].map((o) => o.connector.close()));
    }
  };

  /** A candidate (unsaved) version of a stored flow, validated like a save. */
  const candidateFlow = (input: unknown, flowId: string): FlowDocument => {
    if (input === undefined) return loadFlow(flowId);
    const parsed = parseFlowDocument(input);
    if (!parsed.ok) throw new ApiError('bad_request', `the candidate flow is not valid — ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, parsed.issues);
    if (parsed.flow.id !== flowId) throw new ApiError('bad_request', `the candidate flow has id "${parsed.flow.id}", not "${flowId}": preview a version of the same flow`);
    return parsed.flow;
  };

  /** A system of a draft flow, opened alone under a placeholder flow id (nothing is stored). */
  const openDraftSystem = async (input: unknown): Promise<OpenedSystem> => {
    const parsed = SystemSchema.safeParse(input);
    if (!parsed.success) {
      throw new ApiError('bad_request', `the system is not valid — ${zodIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    }
    const draft: FlowDocument = { schemaVersion: FLOW_SCHEMA_VERSION, id: 'draft', name: 'Draft', systems: [parsed.data], syncs: [] };
    return (await openSystems(draft)).get(parsed.data.id)!;
  };

  const api: ApiHandlers = {
    'workspace.info': async () => ({
      name: demo ? 'Demo workspace' : path.basename(workspaceDir),
      path: workspaceDir,
      demo: demo !== null,
      version: pkg.version,
      keychain: await secrets.status(),
    }),
    'flows.list': async () => store.flows.list().map((f) => ({ id: f.flow.id, name: f.flow.name, running: running.has(f.flow.id), updatedAt: f.updatedAt })),
    'flows.get': async ({ flowId }) => ({ flow: loadFlow(flowId) }),
    'flows.save': async ({ flow }) => saveFlow(flow),
    'flows.validate': async ({ flow }) => {
      const parsed = parseFlowDocument(flow);
      return parsed.ok ? { ok: true, issues: [] } : { ok: false, issues: parsed.issues };
    },
    'flows.delete': async ({ flowId }) => {
      const flow = loadFlow(flowId);
      await stopFlow(flowId, false);
      // What capture left on the user's systems (a Postgres replication slot keeps WAL) goes too.
      for (const system of flow.systems) {
        try {
          const { definition, ctx } = await resolveSystem(flow, system, secrets, dataDir);
          await definition.dropCaptureResources?.(ctx);
        } catch (e) {
          log('warn', `flow ${flowId}: could not clean up capture on "${system.id}" (${(e as Error).message}); remove it by hand (see docs/connectors)`);
          emit({ type: 'notice', level: 'warning', message: `Could not clean up capture on "${system.name}": ${(e as Error).message}` });
        }
      }
      store.transaction(() => {
        store.flows.delete(flowId);
        store.inbox.clearFlow(flowId);
      });
      return { ok: true };
    },
    'flows.start': async ({ flowId }) => startFlow(flowId),
    'flows.stop': async ({ flowId }) => stopFlow(flowId),
    'status.get': async ({ flowId }) => (flowId ? [statusOf(flowId)] : store.flows.list().map((f) => statusOf(f.flow.id))),
    'metrics.series': async ({ flowId, syncId, direction, sinceMs }) => store.metrics.series(flowId, syncId, direction, Date.now() - sinceMs),
    'dlq.list': async ({ filter, limit, offset }) => {
      return store.dlq.list(filter, limit, offset);
    },
    'dlq.get': async ({ id }) => {
      const e = store.dlq.get(id);
      if (!e) throw new ApiError('not_found', `there is no DLQ entry ${id} (it may have been replayed or discarded)`);
      return e;
    },
    'dlq.replay': async ({ ids, filter }) => {
      const byFlow = new Map<string, number[]>();
      for (const e of store.dlq.select({ ids, filter })) {
        // A conflict is settled by choosing a value (conflicts.resolve); a replay would only drop it.
        if (e.errorClass === 'conflict') continue;
        byFlow.set(e.flowId, [...(byFlow.get(e.flowId) ?? []), e.id]);
      }
      let replayed = 0;
      for (const [flowId, flowIds] of byFlow) {
        if (!store.flows.get(flowId)) continue;
        // A replay follows a fix, often to a target's column type: check against the types as they are now.
        const live = running.get(flowId);
        if (live) {
          await Promise.all(
            [...live.systems].map(async ([id, s]) => {
              try {
                live.engine.updateEntities(id, await withTimeout(s.connector.discover(), DISCOVER_TIMEOUT_MS, `system "${id}"`));
              } catch (e) {
                log('warn', `flow ${flowId}: could not discover "${id}" again before a replay (${(e as Error).message}); the types found at start still apply`);
              }
            }),
          );
        }
        replayed += detachedEngine(flowId).replay({ ids: flowIds });
      }
      return { replayed };
    },
    'dlq.discard': async ({ ids, filter }) => {
      // Kept aside for an undo window (dlq.undoDiscard), then gone.
      const entries = store.dlq.select({ ids, filter });
      const discarded = store.dlqDiscards.discard(entries.map((e) => e.id), Date.now());
      // The changes held behind them may apply now.
      for (const flowId of new Set(entries.map((e) => e.flowId))) running.get(flowId)?.engine.kick();
      return { discarded };
    },
    'preview.run': async ({ flowId, syncId, limit, direction }) => {
      const flow = loadFlow(flowId);
      const sync = flow.syncs.find((s) => s.id === syncId);
      const ids = sync ? [sync.a.system, sync.b.system] : [];
      return withSystems(flowId, ids, (systems) => runPreview(flow, syncId, limit, store, systems, direction));
    },
    'records.compare': async ({ flowId, syncId, side, key }) => {
      const flow = loadFlow(flowId);
      const sync = flow.syncs.find((s) => s.id === syncId);
      const ids = sync ? [sync.a.system, sync.b.system] : [];
      return withSystems(flowId, ids, (systems) => compareRecord(flow, syncId, side, key, store, systems));
    },
    'conflicts.resolve': async ({ id, keep, value }) => {
      const entry = store.dlq.get(id);
      if (!entry) throw new ApiError('not_found', `there is no conflict ${id} (it may have been resolved already)`);
      if (entry.errorClass !== 'conflict') throw new ApiError('bad_request', `entry ${id} is a ${entry.errorClass} error, not a conflict: replay or discard it instead`);
      const flow = loadFlow(entry.flowId);
      const sync = flow.syncs.find((s) => s.id === entry.syncId);
      const choice = keep !== undefined ? { keep } : { value };
      const live = running.get(entry.flowId);
      try {
        if (live) await live.engine.resolveConflict(id, choice);
        else {
          await withSystems(entry.flowId, sync ? [sync.a.system, sync.b.system] : [], async (systems) => {
            const engine = new FlowEngine({ store, flow, connectors: new Map([...systems].map(([k, o]) => [k, o.connector])) });
            await engine.resolveConflict(id, choice);
          });
        }
      } catch (e) {
        if (e instanceof ConflictResolutionError) throw new ApiError('conflict', e.message);
        throw e;
      }
      return { ok: true };
    },
    'matching.report': async ({ flowId, syncId, limit }) => {
      const flow = loadFlow(flowId);
      const sync = flow.syncs.find((s) => s.id === syncId);
      if (!sync) throw new ApiError('not_found', `flow "${flowId}" has no sync "${syncId}": use one of ${flow.syncs.map((s) => `"${s.id}"`).join(', ')}`);
      return withSystems(flowId, [sync.a.system, sync.b.system], async (systems) => {
        const [a, b] = await Promise.all([
          systems.get(sync.a.system)!.connector.readSamples(sync.a.entity, limit + 1),
          systems.get(sync.b.system)!.connector.readSamples(sync.b.entity, limit + 1),
        ]);
        const truncated = a.length > limit || b.length > limit;
        return matchingReport(sync, { a: a.slice(0, limit), b: b.slice(0, limit) }, (side, key) => store.links.other(flowId, sync.id, side, key), truncated);
      });
    },
    'connectors.list': async () =>
      connectorDefinitions().map((d) => ({
        kind: d.kind,
        label: d.label,
        description: d.description,
        configJsonSchema: safeJsonSchema(d.configSchema),
        secretFields: d.secretFields,
        captureModes: d.captureModes,
      })),
    'connectors.test': async ({ flowId, systemId }) => {
      try {
        return await withSystems(flowId, [systemId], async (systems) => {
          const s = systems.get(systemId);
          if (!s) throw new ApiError('not_found', `flow "${flowId}" has no system "${systemId}"`);
          return s.connector.testConnection();
        });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'bad_request') return { ok: false, message: e.message, checks: [] };
        throw e;
      }
    },
    'connectors.discover': async ({ flowId, systemId }) =>
      withSystems(flowId, [systemId], async (systems) => {
        const s = systems.get(systemId);
        if (!s) throw new ApiError('not_found', `flow "${flowId}" has no system "${systemId}"`);
        const entities = await withTimeout(s.connector.discover(), DISCOVER_TIMEOUT_MS, `system "${systemId}"`);
        return { entities: entities.map((e) => ({ name: e.name, keyField: e.keyField, fields: e.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, primaryKey: f.primaryKey })) })) };
      }),
    // Editor additions: the same test/discover for a system of a flow that is not saved yet.
    'connectors.testDraft': async ({ system }) => {
      let opened: OpenedSystem;
      try {
        opened = await openDraftSystem(system);
      } catch (e) {
        if (e instanceof ApiError && e.code === 'bad_request') return { ok: false, message: e.message, checks: [] };
        throw e;
      }
      try {
        return await opened.connector.testConnection();
      } finally {
        await opened.connector.close().catch(() => undefined);
      }
    },
    'connectors.discoverDraft': async ({ system }) => {
      const opened = await openDraftSystem(system);
      try {
        let entities: EntityInfo[];
        try {
          entities = await withTimeout(opened.connector.discover(), DISCOVER_TIMEOUT_MS, 'the system');
        } catch (e) {
          // The system's own answer (file missing, login refused) is what the user needs to read.
          throw new ApiError('unavailable', `could not list the entities: ${(e as Error).message}`);
        }
        return { entities: entities.map((e) => ({ name: e.name, keyField: e.keyField, fields: e.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, primaryKey: f.primaryKey })) })) };
      } finally {
        await opened.connector.close().catch(() => undefined);
      }
    },
    'secrets.set': async ({ name, value }) => {
      // Replacing the data key would leave the workspace's sealed customer data unreadable.
      if (name === DATA_KEY_SECRET) throw new ApiError('bad_request', `"${DATA_KEY_SECRET}" is the key of the workspace's encrypted customer data and is not set from the app (see docs/security.md)`);
      const st = await secrets.status();
      if (!st.available) throw new ApiError('unavailable', st.message);
      await secrets.set(name, value);
      return { ok: true };
    },
    'secrets.status': async ({ names }) => {
      const st = await secrets.status();
      const present: Record<string, boolean> = {};
      const sources: Record<string, SecretSourceId | null> = {};
      for (const n of names) {
        // Reads do not need a writable store: a secret may come from the environment or a folder.
        if (secrets instanceof SecretProviderChain) {
          const found = await secrets.lookup(n);
          present[n] = found.source !== null;
          sources[n] = found.source;
        } else {
          present[n] = (await secrets.get(n).catch(() => null)) !== null;
        }
      }
      return { ...st, present, sources };
    },
    // Operations additions: what-if on history, preflight and go-live, DLQ edit/undo, alert thresholds.
    'preview.history': async ({ flowId, syncId, flow, limit }) => {
      const candidate = candidateFlow(flow, flowId);
      const sync = candidate.syncs.find((s) => s.id === syncId);
      if (!sync) throw new ApiError('not_found', `flow "${flowId}" has no sync "${syncId}": use one of ${candidate.syncs.map((s) => `"${s.id}"`).join(', ')}`);
      running.get(flowId)?.engine.flushHistory();
      const history = store.history.list(flowId, syncId, limit);
      return withFlowSystems(candidate, [sync.a.system, sync.b.system], (systems) => runHistoryPreview(candidate, syncId, history, store, systems, Date.now()));
    },
    'preflight.run': async ({ flowId, flow }) => runPreflight(candidateFlow(flow, flowId), { store, secrets, withSystems: withFlowSystems, now: Date.now() }),
    'flows.goLive': async ({ flowId, override }) => {
      const flow = loadFlow(flowId);
      const preflight = await runPreflight(flow, { store, secrets, withSystems: withFlowSystems, now: Date.now() });
      const failed = preflight.edges.flatMap((e) => e.checks.filter((c) => !c.ok).map((c) => `${e.name}: ${c.label}`));
      if (failed.length > 0 && !override) {
        throw new ApiError('conflict', `preflight fails (${failed.join('; ')}): fix these, or go live with an override and a written reason`);
      }
      const status = await startFlow(flowId);
      const record = store.goLive.add({ flowId, at: Date.now(), override: failed.length > 0, reason: failed.length > 0 ? (override?.reason ?? null) : null, failed });
      if (record.override) log('warn', `flow ${flowId} went live with failing preflight (${failed.join('; ')}); reason: ${record.reason}`);
      return { status, preflight: { ...preflight, lastGoLive: record }, record };
    },
    'flows.goLiveLog': async ({ flowId }) => {
      loadFlow(flowId);
      return store.goLive.list(flowId);
    },
    'dlq.editReplay': async ({ id, fields }) => {
      const entry = store.dlq.get(id);
      if (!entry) throw new ApiError('not_found', `there is no DLQ entry ${id} (it may have been replayed or discarded)`);
      if (entry.errorClass === 'conflict') throw new ApiError('bad_request', `entry ${id} is a conflict: choose a value (conflicts.resolve) instead of editing it`);
      if (!store.flows.get(entry.flowId)) throw new ApiError('not_found', `the flow "${entry.flowId}" of entry ${id} no longer exists: discard the entry`);
      const event = { ...(entry.event as unknown as ChangeEvent) };
      event.fields = { ...event.fields, ...fields };
      store.dlq.setEvent(id, event);
      return { replayed: detachedEngine(entry.flowId).replay({ ids: [id] }) };
    },
    'dlq.undoDiscard': async ({ ids }) => {
      const restored = store.dlqDiscards.undo(ids, Date.now());
      const back = new Set(restored);
      return { restored: restored.length, expired: ids.filter((i) => !back.has(i)) };
    },
    'alerts.get': async ({ flowId }) => {
      loadFlow(flowId);
      return store.alerts.list(flowId);
    },
    'alerts.set': async ({ flowId, syncId, thresholds }) => {
      const flow = loadFlow(flowId);
      if (!flow.syncs.some((s) => s.id === syncId)) throw new ApiError('not_found', `flow "${flowId}" has no sync "${syncId}": use one of ${flow.syncs.map((s) => `"${s.id}"`).join(', ')}`);
      store.alerts.set(flowId, syncId, thresholds, Date.now());
      return { ok: true };
    },
    'audit.list': async ({ limit, offset }) => store.audit.list(limit, offset),
  };

  const pushStatus = () => {
    if (listeners.size === 0 || closed) return;
    try {
      emit({ type: 'status', flows: store.flows.list().map((f) => statusOf(f.flow.id)) });
    } catch (e) {
      log('warn', `status push failed: ${(e as Error).message}`);
    }
  };

  // Demo workspace: local systems, the demo flow, a simulator making realistic changes.
  if (demo) {
    ensureDemoSystems(dataDir);
    if (!store.flows.get(DEMO_FLOW.id)) {
      store.flows.save(DEMO_FLOW, Date.now());
      store.flows.setRunning(DEMO_FLOW.id, true);
    }
  }
  if (opts.resume ?? true) {
    for (const f of store.flows.list()) {
      if (!f.running) continue;
      try {
        await startFlow(f.flow.id);
      } catch (e) {
        log('error', `flow ${f.flow.id} could not start: ${(e as Error).message}`);
        emit({ type: 'notice', level: 'error', message: `Flow "${f.flow.name}" could not start: ${(e as Error).message}` });
      }
    }
  }
  if (demo?.simulate) simulator = startSimulator({ dir: dataDir, ratePerSec: demo.ratePerSec });

  return {
    workspaceDir,
    store,
    api,
    subscribe(listener) {
      listeners.add(listener);
      if (!pushTimer) {
        pushTimer = setInterval(pushStatus, 1000);
        pushTimer.unref?.();
      }
      queueMicrotask(pushStatus);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && pushTimer) {
          clearInterval(pushTimer);
          pushTimer = null;
        }
      };
    },
    async close(closeOpts = {}) {
      if (closed) return;
      closed = true;
      if (pushTimer) clearInterval(pushTimer);
      await simulator?.stop();
      for (const id of [...running.keys()]) await stopFlow(id, false, closeOpts.drainMs ?? 2000);
      store.close();
      release();
    },
  };
}

function safeJsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}
