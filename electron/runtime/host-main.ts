import { serveRuntime } from './host/runtime-host.js';
import type { FromHost, HostChannel } from './host/host-protocol.js';

/**
 * Entry of the runtime process (bundled to dist/runtime/host.js). Under Electron's utilityProcess the
 * channel is `process.parentPort`; forked by plain Node (tests, a headless supervisor) it is the IPC
 * channel of child_process.fork.
 */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
const channel: HostChannel = parentPort
  ? { onMessage: (l) => parentPort.on('message', (e) => l(e.data)), post: (m: FromHost) => parentPort.postMessage(m) }
  : {
      onMessage: (l) => process.on('message', l),
      post: (m: FromHost) => {
        if (process.connected) process.send!(m);
      },
    };

// The shell going away without a close (it crashed) must not leave a runtime holding the workspace.
if (!parentPort) process.on('disconnect', () => process.exit(0));
serveRuntime(channel, { log: (level, message) => process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`) });
