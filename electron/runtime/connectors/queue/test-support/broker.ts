import { fork } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A broker a test started on 127.0.0.1, owned by a forked host (broker-host.mjs says why). */
export interface TestBroker {
  port: number;
  dir: string;
  /** SIGKILL the broker (its data stays), as a crash would. */
  kill(): Promise<void>;
  /** Start it again on the same port with the same data. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const hostScript = fileURLToPath(new URL('./broker-host.mjs', import.meta.url));

export interface BrokerSpec {
  /** The binary's absolute path and the apt package that installs it (said when it is missing). */
  binary: string;
  aptPackage: string;
  args: (port: number, dir: string) => string[];
  env?: (port: number, dir: string) => Record<string, string>;
  readyMs?: number;
  /** The broker's port when it is not the one passed to args (e.g. a second port it needs). */
  port?: number;
  /** Start through `sh -c` with this command line instead of the binary with args (a helper beside it). */
  shell?: (port: number, dir: string) => string;
}

type HostMessage = { type: 'started' } | { type: 'killed' } | { type: 'error'; message: string };

export async function startBroker(spec: BrokerSpec): Promise<TestBroker> {
  if (!existsSync(spec.binary)) throw new Error(`${spec.binary} is missing: install ${spec.aptPackage} (apt-get install ${spec.aptPackage}); .ci/run installs it`);
  const port = spec.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `sc-${spec.aptPackage}-`));
  const options = { command: spec.shell ? '/bin/sh' : spec.binary, args: spec.shell ? ['-c', spec.shell(port, dir)] : spec.args(port, dir), env: spec.env?.(port, dir) ?? {}, port, dir, readyMs: spec.readyMs ?? 30_000 };
  const host = fork(hostScript, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
  const ask = (message: { type: string }, want: HostMessage['type']) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (m: HostMessage) => {
        host.off('exit', onExit);
        if (m.type === 'error') reject(new Error(`${spec.aptPackage}: ${m.message}`));
        else if (m.type !== want) reject(new Error(`${spec.aptPackage} host said ${m.type}, expected ${want}`));
        else resolve();
      };
      const onExit = (code: number | null) => {
        host.off('message', onMessage);
        reject(new Error(`the ${spec.aptPackage} host exited (code ${code})`));
      };
      host.once('message', onMessage);
      host.once('exit', onExit);
      host.send(message);
    });
  try {
    await ask({ type: 'start' }, 'started');
  } catch (e) {
    host.kill('SIGTERM');
    await exited;
    throw e;
  }
  return {
    port,
    dir,
    kill: () => ask({ type: 'kill' }, 'killed'),
    start: () => ask({ type: 'start' }, 'started'),
    async stop() {
      if (host.exitCode !== null || host.signalCode !== null) return;
      host.send({ type: 'stop' });
      await exited;
    },
  };
}
