import fs from 'node:fs';
import path from 'node:path';
import { SystemSchema, FLOW_SCHEMA_VERSION, type FlowDocument } from '../../../shared/flow/schema.js';
import { zodIssues } from '../../../shared/flow/validate.js';
import { ApiError } from '../api/handlers.js';
import { openSystem, resolveSystem, SystemSetupError, type OpenedSystem } from '../connectors/system-connections.js';
import { loadDataKey, weakKeyNotice } from '../secrets/data-key.js';
import { createSecretChain } from '../secrets/default-chain.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { Store } from '../store/store.js';
import { UnreadableFlowError } from '../store/flows.js';
import { acquireWorkspaceLock } from '../workspace-lock.js';

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

/** The open connectors of a flow's systems, by system id. */
export type OpenSystems = ReadonlyMap<string, OpenedSystem>;

export class WorkspaceMissingError extends Error {}

export interface WorkspaceOptions {
  workspaceDir: string;
  secrets?: SecretStore;
  log?: Logger;
  /**
   * Make the data key on first open (the runtime does). A command that only reads or settles
   * entries (the CLI without a runtime) opens an existing workspace and never makes a key.
   */
  create?: boolean;
  /**
   * Take the lock (default). Only a reader beside a runtime that serves no API opens without it
   * (workspace-api.ts), and it never writes.
   */
  lock?: boolean;
}

/**
 * One open workspace: its lock (one writer: the runtime's caches assume it), its store with the
 * data key set, its secret sources, and the connectors of its flows' systems. Everything an API
 * handler touches goes through a Workspace and a FlowSupervisor; nothing else opens the store.
 */
export class Workspace {
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly store: Store,
    readonly secrets: SecretStore,
    readonly log: Logger,
    private readonly release: () => void,
  ) {}

  /** Take the workspace's lock (WorkspaceLockedError when a runtime holds it), open its store and set the data key. */
  static async open(opts: WorkspaceOptions): Promise<Workspace> {
    const dir = path.resolve(opts.workspaceDir);
    const file = path.join(dir, 'workspace.db');
    if (!opts.create && !fs.existsSync(file)) throw new WorkspaceMissingError(`no workspace at ${dir} (nothing has run there yet): pass --workspace DIR`);
    const release = opts.lock === false ? () => {} : acquireWorkspaceLock(dir);
    let store: Store;
    try {
      store = Store.open(file);
    } catch (e) {
      release();
      throw e;
    }
    const log: Logger = opts.log ?? (() => {});
    try {
      const secrets = opts.secrets ?? (await createSecretChain({ workspaceDir: dir }));
      const dataKey = await loadDataKey(secrets, dir, { create: opts.create ?? false, sealedDataExists: store.hasSealedData() });
      if (dataKey) {
        store.cipher.setKey(dataKey.key);
        // Said once by the runtime that made or uses the key; a command's output stays its own (status warns in a line of its own).
        if (dataKey.weak && opts.create) log('warn', weakKeyNotice(dataKey));
      }
      return new Workspace(dir, store, secrets, log, release);
    } catch (e) {
      store.close();
      release();
      throw e;
    }
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** A stored flow, or not_found saying so. */
  flow(flowId: string): FlowDocument {
    let stored: ReturnType<Store['flows']['get']>;
    try {
      stored = this.store.flows.get(flowId);
    } catch (e) {
      if (e instanceof UnreadableFlowError) throw new ApiError('conflict', e.message);
      throw e;
    }
    if (!stored) throw new ApiError('not_found', `there is no flow "${flowId}" in this workspace`);
    return stored.flow;
  }

  /** Open the connectors of a flow's systems (all, or those in `ids`); a bad setup is the caller's to fix (bad_request). */
  async openSystems(flow: FlowDocument, ids?: readonly string[]): Promise<Map<string, OpenedSystem>> {
    const out = new Map<string, OpenedSystem>();
    try {
      for (const system of flow.systems) {
        if (ids && !ids.includes(system.id)) continue;
        out.set(system.id, await openSystem(flow, system, this.secrets, this.dataDir));
      }
    } catch (e) {
      await closeSystems(out);
      if (e instanceof SystemSetupError) throw new ApiError('bad_request', e.message);
      throw e;
    }
    return out;
  }

  /** A system of a draft flow, opened alone under a placeholder flow id (nothing is stored). */
  async openDraftSystem(input: unknown): Promise<OpenedSystem> {
    const parsed = SystemSchema.safeParse(input);
    if (!parsed.success) {
      throw new ApiError('bad_request', `the system is not valid — ${zodIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    }
    const draft: FlowDocument = { schemaVersion: FLOW_SCHEMA_VERSION, id: 'draft', name: 'Draft', systems: [parsed.data], syncs: [] };
    return (await this.openSystems(draft)).get(parsed.data.id)!;
  }

  /** Remove what capture left on a system (a Postgres replication slot keeps WAL). */
  async dropCaptureResources(flow: FlowDocument, systemId: string): Promise<void> {
    const system = flow.systems.find((s) => s.id === systemId);
    if (!system) return;
    const { definition, ctx } = await resolveSystem(flow, system, this.secrets, this.dataDir);
    await definition.dropCaptureResources?.(ctx);
  }

  /** Close the store and give the lock back (flows must be stopped first: FlowSupervisor.stopAll). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
    this.release();
  }
}

export async function closeSystems(systems: ReadonlyMap<string, OpenedSystem>): Promise<void> {
  await Promise.allSettled([...systems.values()].map((o) => o.connector.close()));
}
