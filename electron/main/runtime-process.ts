import { utilityProcess } from 'electron';
import { ApiInputs, type ApiMethod, type RuntimeEvent } from '../../shared/api/contract.js';
import { ApiError, type ApiHandlers } from '../runtime/api/handlers.js';
import type { CallOutcome, FromHost, ToHost } from '../runtime/host/host-protocol.js';

/** The slice of Electron's UtilityProcess this bridge uses (tests fork a real Node process behind it). */
export interface ChildLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface RuntimeProcessOptions {
  /** dist/runtime/host.js */
  hostPath: string;
  workspaceDir: string;
  demo: boolean;
  fork?: (hostPath: string) => ChildLike;
  /** The runtime died and is being started again: tell the user. */
  onRestart?: (message: string) => void;
  /** It keeps dying: the app says so and stops trying. */
  onGiveUp?: (message: string) => void;
}

const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/**
 * The runtime in its own process (Electron utilityProcess): a heavy batch never stalls the window,
 * and closing the window does not stop syncing. Calls go out as messages with ids; events come back
 * and reach every subscriber. If the process dies, pending calls fail with a plain message and it
 * is started again; five deaths within a minute and the app stops trying and says so.
 */
export class RuntimeProcess {
  private child: ChildLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: CallOutcome) => void>();
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  private ready: Promise<void> | null = null;
  private closing = false;
  private closed: (() => void) | null = null;
  private restarts: number[] = [];

  constructor(private readonly opts: RuntimeProcessOptions) {}

  start(): Promise<void> {
    const fork = this.opts.fork ?? ((p: string) => utilityProcess.fork(p, [], { serviceName: 'SyncCanvas runtime', stdio: 'inherit' }) as unknown as ChildLike);
    const child = fork(this.opts.hostPath);
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (raw) => {
        const m = raw as FromHost;
        if (m.type === 'ready') resolve();
        else if (m.type === 'failed') reject(new Error(m.message));
        else if (m.type === 'result') {
          this.pending.get(m.id)?.(m.result);
          this.pending.delete(m.id);
        } else if (m.type === 'event') for (const l of this.listeners) l(m.event);
        else if (m.type === 'closed') this.closed?.();
      });
      child.on('exit', (code) => {
        reject(new Error(`the sync runtime exited (code ${code}) while opening the workspace`));
        this.exited(child, code);
      });
    });
    this.send({ type: 'open', workspaceDir: this.opts.workspaceDir, demo: this.opts.demo });
    return this.ready;
  }

  async call(method: string, input: unknown): Promise<CallOutcome> {
    try {
      await this.ready;
    } catch (e) {
      return { ok: false, error: { code: 'unavailable', message: `The sync runtime is not running: ${(e as Error).message}` } };
    }
    if (!this.child || this.closing) return { ok: false, error: { code: 'unavailable', message: 'The sync runtime is shutting down.' } };
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'call', id, method, input });
    });
  }

  subscribe(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The runtime API as handlers, for the IPC table: each call crosses to the runtime process. */
  handlers(): ApiHandlers {
    const out: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const method of Object.keys(ApiInputs) as ApiMethod[]) {
      out[method] = async (input) => {
        const r = await this.call(method, input);
        if (r.ok) return r.value;
        throw new ApiError(r.error.code, r.error.message, r.error.issues);
      };
    }
    return out as unknown as ApiHandlers;
  }

  /** Quit: the runtime applies what is ready (up to drainMs), closes the workspace and exits. */
  async close(drainMs = 5_000): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, drainMs + 10_000);
      this.closed = () => {
        clearTimeout(timer);
        resolve();
      };
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.send({ type: 'close', drainMs });
    });
    this.child = null;
  }

  private send(message: ToHost): void {
    this.child?.postMessage(message);
  }

  private exited(child: ChildLike, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    for (const resolve of this.pending.values()) resolve({ ok: false, error: { code: 'unavailable', message: `The sync runtime stopped unexpectedly (exit code ${code}); it is being restarted. Try again in a moment.` } });
    this.pending.clear();
    if (this.closing) return;
    const now = Date.now();
    this.restarts = [...this.restarts.filter((t) => t > now - RESTART_WINDOW_MS), now];
    if (this.restarts.length > MAX_RESTARTS) {
      this.opts.onGiveUp?.(`The sync runtime stopped ${MAX_RESTARTS} times within a minute and was not started again. Nothing is lost: changes wait in the workspace. Restart SyncCanvas; if it happens again, the log has the reason.`);
      this.ready = Promise.reject(new Error('it stopped repeatedly'));
      this.ready.catch(() => {});
      return;
    }
    this.opts.onRestart?.(`The sync runtime stopped unexpectedly (exit code ${code}) and was restarted. Nothing is lost: changes waiting in the workspace are applied now.`);
    this.start().catch((e: unknown) => this.opts.onGiveUp?.(`The sync runtime could not be restarted: ${(e as Error).message}`));
  }
}
