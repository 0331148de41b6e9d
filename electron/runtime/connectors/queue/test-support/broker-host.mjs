// The process that owns one broker (nats-server, redis-server, rabbitmq-server) for a test file or
// bench (forked by broker.ts).
//
// Why a process of its own: if vitest is SIGKILLed, its IPC channel to this host disconnects, and
// the host then kills the broker's whole process group and removes its data folder, so no broker
// outlives the run that started it.
//
// Protocol over the IPC channel:
//   parent → host  {type: 'start'}     start the broker (again, after a 'kill': same port and data)
//   host → parent  {type: 'started'}   the broker accepts TCP connections on its port
//   parent → host  {type: 'kill'}      SIGKILL the broker (a crash; the data folder stays)
//   host → parent  {type: 'killed'}
//   parent → host  {type: 'stop'}      stop the broker, remove the data folder, exit
//   host → parent  {type: 'error', message}
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

const options = JSON.parse(process.argv[2] ?? '{}'); // { command, args, env, port, dir, readyMs }
let child = null;
let log = '';

const send = (message) => new Promise((resolve) => (process.connected ? process.send(message, () => resolve()) : resolve()));

function killGroup(signal) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const c = child;
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    try {
      process.kill(-c.pid, signal);
    } catch {
      resolve();
    }
  });
}

const accepts = () =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: options.port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

async function start() {
  log = '';
  child = spawn(options.command, options.args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout.on('data', (d) => (log = (log + d).slice(-8000)));
  child.stderr.on('data', (d) => (log = (log + d).slice(-8000)));
  let failed = null;
  child.once('error', (e) => (failed = e));
  const until = Date.now() + (options.readyMs ?? 30_000);
  for (;;) {
    if (failed) throw failed;
    if (child.exitCode !== null) throw new Error(`${options.command} exited with code ${child.exitCode}: ${log}`);
    if (await accepts()) return;
    if (Date.now() > until) throw new Error(`${options.command} did not accept connections on 127.0.0.1:${options.port} within ${options.readyMs ?? 30_000} ms: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(code) {
  await killGroup('SIGTERM');
  rmSync(options.dir, { recursive: true, force: true });
  process.exit(code);
}

process.on('disconnect', () => void killGroup('SIGKILL').then(() => stop(0)));
process.on('message', (message) => {
  if (message?.type === 'start') start().then(() => send({ type: 'started' }), (e) => send({ type: 'error', message: e?.message ?? String(e) }));
  else if (message?.type === 'kill') killGroup('SIGKILL').then(() => send({ type: 'killed' }));
  else if (message?.type === 'stop') void stop(0);
});
