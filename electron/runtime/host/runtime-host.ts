import { dispatchApiCall } from '../api/dispatch.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
import { ToHostSchema, type HostChannel } from './host-protocol.js';

/**
 * The runtime as a process of its own: the desktop shell sends API calls, the runtime answers and
 * pushes its events. Calls are dispatched exactly as over HTTP (dispatchApiCall validates the input),
 * so the shell's IPC bridge, the local HTTP API and the CLI reach one implementation. Closing the
 * window does not reach here; only an explicit close (quit) drains and ends the process.
 */
export function serveRuntime(channel: HostChannel, opts: { open?: (o: RuntimeOptions) => Promise<Runtime>; exit?: (code: number) => void; log?: RuntimeOptions['log'] } = {}): void {
  const open = opts.open ?? openRuntime;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let runtime: Runtime | null = null;
  let opening: Promise<void> | null = null;
  let closing = false;
  // Calls that arrive while the workspace opens wait for it rather than failing.
  const queued: (() => void)[] = [];

  channel.onMessage((raw) => {
    const parsed = ToHostSchema.safeParse(raw);
    if (!parsed.success) {
      channel.post({ type: 'failed', message: `the runtime received a message it does not understand: ${parsed.error.issues[0]?.message}` });
      return;
    }
    const message = parsed.data;
    if (message.type === 'open') {
      if (opening) return;
      opening = open({ workspaceDir: message.workspaceDir, demo: message.demo, ...(opts.log ? { log: opts.log } : {}) })
        .then((r) => {
          runtime = r;
          r.subscribe((event) => channel.post({ type: 'event', event }));
          channel.post({ type: 'ready', workspaceDir: r.workspaceDir });
          for (const run of queued.splice(0)) run();
        })
        .catch((e: unknown) => {
          channel.post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
          exit(1);
        });
      return;
    }
    if (message.type === 'call') {
      const run = () => {
        if (!runtime || closing) {
          channel.post({ type: 'result', id: message.id, result: { ok: false, error: { code: 'unavailable', message: 'The sync runtime is shutting down.' } } });
          return;
        }
        void dispatchApiCall(runtime.api, message.method, message.input).then((result) => channel.post({ type: 'result', id: message.id, result }));
      };
      if (runtime || closing) run();
      else queued.push(run);
      return;
    }
    if (closing) return;
    closing = true;
    const finish = async () => {
      await opening?.catch(() => {});
      await runtime?.close({ drainMs: message.drainMs });
      channel.post({ type: 'closed' });
      exit(0);
    };
    void finish();
  });
}
