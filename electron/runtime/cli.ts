import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DlqEntry, DlqFilter, FlowStatus } from '../../shared/api/contract.js';
import { ERROR_CLASSES, type ErrorClass } from '../../shared/errors.js';
import { SecretRefSchema, type FlowDocument } from '../../shared/flow/schema.js';
import { ROLES, type Role } from '../../shared/api/roles.js';
import { formatIssues, parseFlowText } from '../../shared/flow/validate.js';
import { ApiError } from './api/handlers.js';
import { isLoopbackHost, startHttpServer } from './api/http-server.js';
import { lineWriter } from './closed-output.js';
import { writeRuntimeEndpoint } from './api/runtime-endpoint.js';
import { openSystem, SystemSetupError, type OpenedSystem } from './connectors/system-connections.js';
import { DEFAULT_MAX_INBOX_ROWS } from './engine/flow-engine.js';
import { matchingReport } from './engine/matching-report.js';
import { runPreview } from './preview-runner.js';
import { openRuntime, type Logger, type Runtime } from './runtime.js';
import { DATA_KEY_FILE, DATA_KEY_SECRET, loadDataKey } from './secrets/data-key.js';
import { DEFAULT_RETENTION_MS, parseRetention } from './store/retention.js';
import { forgetRecord } from './store/forget.js';
import { DataKeyMissingError } from './store/data-cipher.js';
import { createSecretChain } from './secrets/default-chain.js';
import { readSecretValue } from './secrets/secret-input.js';
import { Store } from './store/store.js';
import { DISCARD_UNDO_WINDOW_MS } from './store/dlq-discards.js';
import { connectWorkspaceApi, type WorkspaceApi } from './workspace/workspace-api.js';
import { WorkspaceMissingError } from './workspace/workspace.js';
import { acquireWorkspaceLock, lockedBy, WorkspaceLockedError } from './workspace-lock.js';
import pkg from '../../package.json' with { type: 'json' };
import { tokenKeyRefs } from './masking/token-keys.js';

/** Exit codes are part of the CLI's contract (docs/cli.md): scripts and tests rely on them. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3 } as const;

const USAGE = `SyncCanvas ${pkg.version} — keep your business systems in sync.

Usage:
  synccanvas run <flow.json> [--workspace DIR] [--inbox-limit N] [--retention 7d]
                                                        run a flow until Ctrl+C (SIGINT/SIGTERM), then drain and exit
  synccanvas serve [--workspace DIR] [--port N] [--host H] [--demo] [--inbox-limit N] [--retention 7d] [--tls-cert FILE --tls-key FILE]
                                                        serve the app and the API on 127.0.0.1 (browser mode); another
                                                        address needs TLS and users with roles
  synccanvas users add <name> --role viewer|operator|editor|admin   a person who may use serve; prints their token once
  synccanvas users list | users remove <name>
  synccanvas feeds token <name> --feed <flow>/<sync>   a token that reads one AI feed's files from serve (GET /feeds/<flow>/<sync>/), nothing else; printed once
  synccanvas feeds list | feeds revoke <name>
  synccanvas audit [--limit N] [--json]                 who changed what through the API (newest first)
  synccanvas forget --system S --key K [--json]         erase one person's record (and the records linked to it) from the
                                                        inbox, DLQ, shadows, history, links and tombstones; stop the runtime first
  synccanvas validate <flow.json> [--json]              check a flow file
  synccanvas status [--workspace DIR] [--json]          flows, lag, counters, DLQ depth
  synccanvas dlq list [--flow ID] [--sync ID] [--class C] [--text T] [--limit N] [--json]
  synccanvas dlq show <id> [--json]
  synccanvas dlq replay (<id>... | --all | --class C | --sync ID) [--json]
  synccanvas dlq discard (<id>... | --all | --class C | --sync ID) [--json]   kept 30 s for dlq undo, then gone
  synccanvas dlq undo <id>... [--json]                 bring back entries discarded in the last 30 s
  synccanvas dlq resolve <id> (--keep a|b | --value JSON) [--json]   settle a conflict: write the chosen value to both sides
  synccanvas match <flow.json> --sync ID [--limit N] [--json]        first-sync matching report (nothing is written)
  synccanvas preview <flow.json> --sync ID [--limit N] [--json] [--workspace DIR]
  synccanvas secrets set <name> [--from-env VAR]       store a secret (value from stdin, a hidden prompt, or VAR; never an argument)
  synccanvas secrets list [--json]                     secret names and where each comes from (values are never printed)
  synccanvas secrets delete <name>                     remove a stored secret (keychain or vault)
  synccanvas secrets check [<flow.json>] [--json]      which source answers each secret the flow (or the workspace's flows) needs

status and dlq go through the runtime holding the workspace when it serves an API (run, serve);
beside a runtime that serves none (the desktop app) they only read.
The workspace defaults to $SYNCCANVAS_WORKSPACE, else ~/.synccanvas/workspace (~/.synccanvas/demo with --demo).
--inbox-limit: the most changes a flow holds waiting (default ${DEFAULT_MAX_INBOX_ROWS}); beyond it capture slows down.
--retention: how long applied customer values (history for previews) are kept, e.g. 7d (default), 12h, 30m.
Exit codes: 0 ok, 1 the operation failed, 2 bad arguments, 3 workspace unavailable.`;

class UsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** A secret value typed or piped in (`secrets set`); tests give it directly. */
  secretInput?: (prompt: string) => Promise<string>;
}

let processIo: Io | undefined;
/** Made on first use, so importing the CLI (tests do) adds no listeners to this process's streams. */
function defaultIo(): Io {
  processIo ??= { out: lineWriter(process.stdout), err: lineWriter(process.stderr), secretInput: (prompt) => readSecretValue(prompt) };
  return processIo;
}

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], options: ParseArgsConfig['options'], positionals: { min: number; max: number; names: string }): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  if (parsed.positionals.length < positionals.min) throw new UsageError(`missing ${positionals.names}`);
  if (parsed.positionals.length > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`);
  return parsed;
}

function workspaceOf(values: Record<string, unknown>, demo = false): string {
  const given = values.workspace as string | undefined;
  if (given) return path.resolve(given);
  if (process.env.SYNCCANVAS_WORKSPACE) return path.resolve(process.env.SYNCCANVAS_WORKSPACE);
  return path.join(os.homedir(), '.synccanvas', demo ? 'demo' : 'workspace');
}

function readFlowFile(file: string): { ok: true; flow: FlowDocument } | { ok: false; message: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, message: code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(e as Error).message})` };
  }
  const parsed = parseFlowText(text);
  if (!parsed.ok) return { ok: false, message: `${file} is not a valid flow:\n${formatIssues(parsed.issues)}` };
  return { ok: true, flow: parsed.flow };
}

function intOption(values: Record<string, unknown>, name: string, def: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${String(raw)}"`);
  return n;
}

/** --retention 7d|12h|30m|10s: how long applied customer values are kept (store/retention.ts). */
function retentionOption(values: Record<string, unknown>): number {
  if (values.retention === undefined) return DEFAULT_RETENTION_MS;
  try {
    return parseRetention(String(values.retention));
  } catch (e) {
    throw new UsageError(`--retention: ${(e as Error).message}`);
  }
}

async function openStoreFor(workspace: string): Promise<Store> {
  const file = path.join(workspace, 'workspace.db');
  if (!fs.existsSync(file)) throw new WorkspaceMissing(`no workspace at ${workspace} (nothing has run there yet): pass --workspace DIR`);
  return withDataKey(Store.open(file), workspace);
}

/** Give a store opened by a command the workspace's data key, so it reads and writes sealed values as the runtime does. */
async function withDataKey(store: Store, workspace: string): Promise<Store> {
  try {
    const key = await loadDataKey(await createSecretChain({ workspaceDir: workspace }), workspace, { create: false });
    if (key) store.cipher.setKey(key.key);
    return store;
  } catch (e) {
    store.close();
    throw e;
  }
}

class WorkspaceMissing extends Error {}

const logger = (io: Io): Logger => (level, message) => io.err(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`);

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

function fmtLag(v: number | null): string {
  return v === null ? '–' : v < 1000 ? `${v.toFixed(1)} ms` : `${(v / 1000).toFixed(2)} s`;
}

function printStatus(io: Io, statuses: FlowStatus[], names: Map<string, string>): void {
  if (statuses.length === 0) io.out('No flows in this workspace.');
  for (const f of statuses) {
    io.out(`${names.get(f.flowId) ?? f.flowId} (${f.flowId}): ${f.running ? 'running' : 'stopped'}, ${f.inboxPending} pending, DLQ ${f.dlqDepth}${f.error ? `, error: ${f.error}` : ''}`);
    for (const s of f.syncs) {
      for (const d of s.directions) {
        io.out(
          `  ${s.syncId} ${d.direction === 'a-to-b' ? '→' : '←'}  ${s.health.padEnd(8)} applied ${d.applied}  lag p50 ${fmtLag(d.lagMs.p50)} p99 ${fmtLag(d.lagMs.p99)}  ` +
            `errors ${d.errors}  conflicts ${d.conflicts}  echoes ${d.echoesSuppressed}  violations ${d.ownershipViolations}  tombstones ${d.tombstones}  DLQ ${d.dlqDepth}`,
        );
      }
    }
  }
}

/** Where the built UI is; files are looked up per request, so a rebuild while serving is picked up. */
function staticDir(): { dir: string; built: boolean } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../renderer'), path.resolve(here, '../../dist/renderer')];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'index.html'))) return { dir, built: true };
  return { dir: candidates[0]!, built: false };
}

async function cmdValidate(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'the flow file: synccanvas validate <flow.json>' });
  const file = positionals[0]!;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const message = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(e as Error).message})`;
    if (values.json) io.out(JSON.stringify({ ok: false, issues: [{ path: '(file)', message }] }));
    else io.err(message);
    return EXIT.failed;
  }
  const parsed = parseFlowText(text);
  if (values.json) {
    io.out(JSON.stringify(parsed.ok ? { ok: true, flowId: parsed.flow.id, migratedFrom: parsed.migratedFrom ?? null, issues: [] } : { ok: false, issues: parsed.issues }));
  } else if (parsed.ok) {
    io.out(`${file}: valid flow "${parsed.flow.name}" (${parsed.flow.systems.length} systems, ${parsed.flow.syncs.length} syncs)${parsed.migratedFrom ? `; written in format version ${parsed.migratedFrom}, read as the current version` : ''}`);
  } else {
    io.err(`${file} is not a valid flow:\n${formatIssues(parsed.issues)}`);
  }
  return parsed.ok ? EXIT.ok : EXIT.failed;
}

async function cmdRun(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { workspace: { type: 'string' }, 'inbox-limit': { type: 'string' }, retention: { type: 'string' } }, { min: 1, max: 1, names: 'the flow file: synccanvas run <flow.json>' });
  const inboxLimit = intOption(values, 'inbox-limit', DEFAULT_MAX_INBOX_ROWS, 100, 100_000_000);
  const retentionMs = retentionOption(values);
  const file = readFlowFile(positionals[0]!);
  if (!file.ok) {
    io.err(file.message);
    return EXIT.failed;
  }
  const runtime = await openRuntime({ workspaceDir: workspaceOf(values), log: logger(io), resume: false, inboxLimit, retentionMs });
  try {
    const saved = await runtime.api['flows.save']({ flow: file.flow });
    if (!saved.ok) throw new Error(formatIssues(saved.issues));
    await runtime.api['flows.start']({ flowId: file.flow.id });
  } catch (e) {
    await runtime.close({ drainMs: 0 });
    throw e;
  }
  const localApi = await serveLocalApi(runtime, io);
  const signal = waitForSignal();
  io.err(`SyncCanvas is running "${file.flow.name}" (${file.flow.systems.length} systems, ${file.flow.syncs.length} syncs) in ${runtime.workspaceDir}. Press Ctrl+C to stop.`);
  const sig = await signal;
  io.err(`${sig}: stopping capture, applying what is ready, then exiting…`);
  await localApi.close();
  const [status] = await runtime.api['status.get']({ flowId: file.flow.id });
  await runtime.close({ drainMs: 10_000 });
  if (status) io.err(`stopped; ${status.syncs.reduce((n, s) => n + s.directions.reduce((m, d) => m + d.applied, 0), 0)} changes applied in all.`);
  return EXIT.ok;
}

/**
 * The API of `synccanvas run` on loopback only, for the CLI commands run beside it (status, dlq …):
 * they go through this runtime rather than write behind it. No UI, a fresh token, the endpoint
 * written to the workspace (api/runtime-endpoint.ts).
 */
async function serveLocalApi(runtime: Runtime, io: Io): Promise<{ close(): Promise<void> }> {
  const server = await startHttpServer({
    handlers: runtime.api,
    users: runtime.store.users,
    audit: (entry) => runtime.store.audit.add(entry),
    logError: (method, error) => io.err(`API ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  const forget = writeRuntimeEndpoint(runtime.workspaceDir, { pid: process.pid, url: `http://127.0.0.1:${server.port}/`, token: server.token });
  return {
    close: async () => {
      forget();
      await server.close();
    },
  };
}

async function cmdServe(argv: string[], io: Io): Promise<number> {
  const { values } = parse(
    argv,
    { workspace: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, demo: { type: 'boolean' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'inbox-limit': { type: 'string' }, retention: { type: 'string' } },
    { min: 0, max: 0, names: '' },
  );
  const port = intOption(values, 'port', 0, 0, 65535);
  const inboxLimit = intOption(values, 'inbox-limit', DEFAULT_MAX_INBOX_ROWS, 100, 100_000_000);
  const retentionMs = retentionOption(values);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new UsageError('give both --tls-cert FILE and --tls-key FILE (PEM), or neither');
  const readPem = (flag: 'tls-cert' | 'tls-key'): string | null => {
    const file = values[flag] as string | undefined;
    if (!file) return null;
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`--${flag} ${file}: cannot read it (${(e as Error).message})`);
    }
  };
  const cert = readPem('tls-cert');
  const key = readPem('tls-key');
  const runtime = await openRuntime({ workspaceDir: workspaceOf(values, Boolean(values.demo)), demo: Boolean(values.demo), log: logger(io), inboxLimit, retentionMs });
  let server;
  try {
    const { dir, built } = staticDir();
    if (!built) io.err(`the app UI is not built yet (${dir} has no index.html): run \`npm run build\`; the API is served meanwhile.`);
    server = await startHttpServer({
      handlers: runtime.api,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      port,
      staticDir: dir,
      subscribe: (l) => runtime.subscribe(l),
      ...(cert && key ? { tls: { cert, key } } : {}),
      users: runtime.store.users,
      feeds: { authenticate: (t) => runtime.store.feedTokens.authenticate(t), flow: (id) => runtime.store.flows.get(id)?.flow ?? null, dataDir: path.join(runtime.workspaceDir, 'data') },
      audit: (entry) => runtime.store.audit.add(entry),
      logError: (method, error) => io.err(`API ${method} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    });
  } catch (e) {
    await runtime.close({ drainMs: 0 });
    throw e;
  }
  // CLI commands on this workspace go through this server (workspace/workspace-api.ts); over TLS
  // or off loopback they would not trust or reach it, and only read.
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const forgetEndpoint = !cert && isLoopbackHost(host) ? writeRuntimeEndpoint(runtime.workspaceDir, { pid: process.pid, url: `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${server.port}/`, token: server.token }) : () => {};
  const signal = waitForSignal();
  io.out(`SyncCanvas is running in browser mode: ${server.url}`);
  io.err(`workspace: ${runtime.workspaceDir}${values.demo ? ' (demo: two local SQLite systems and a change simulator)' : ''}. Press Ctrl+C to stop.`);
  const sig = await signal;
  io.err(`${sig}: stopping…`);
  forgetEndpoint();
  await server.close();
  await runtime.close({ drainMs: 5_000 });
  return EXIT.ok;
}

/**
 * Run `fn` on the workspace's API: through the runtime holding the workspace when it serves one,
 * else through the same handlers over the workspace opened here (workspace/workspace-api.ts).
 */
async function withWorkspaceApi<T>(workspace: string, io: Io, write: boolean, fn: (api: WorkspaceApi) => Promise<T>): Promise<T> {
  const api = await connectWorkspaceApi(workspace, { write, log: logger(io) }).catch((e: unknown) => {
    throw e instanceof WorkspaceMissingError ? new WorkspaceMissing(e.message) : e;
  });
  try {
    return await fn(api);
  } finally {
    await api.close();
  }
}

async function cmdStatus(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { workspace: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
  const workspace = workspaceOf(values);
  return withWorkspaceApi(workspace, io, false, async (api) => {
    const flows = await api.call('flows.list', {});
    const statuses = await api.call('status.get', {});
    const holder = api.runtimePid;
    if (values.json) io.out(JSON.stringify({ workspace, runtimePid: holder, flows: statuses }, null, 2));
    else {
      io.out(`workspace ${workspace}: ${holder !== null ? `runtime running (pid ${holder})` : 'no runtime running'}`);
      if (fs.existsSync(path.join(workspace, DATA_KEY_FILE))) io.out(`warning: customer data is sealed with a key kept in this workspace (${DATA_KEY_FILE}), which protects a copied database but not a copied folder: see docs/security.md`);
      printStatus(io, statuses, new Map(flows.map((f) => [f.id, f.name])));
      for (const f of flows) if (f.problem) io.out(`${f.name} (${f.id}): ${f.problem}`);
    }
    return EXIT.ok;
  });
}

function dlqFilter(values: Record<string, unknown>): DlqFilter {
  const filter: DlqFilter = {};
  if (values.flow) filter.flowId = values.flow as string;
  if (values.sync) filter.syncId = values.sync as string;
  if (values.text) filter.text = values.text as string;
  if (values.class !== undefined) {
    if (!ERROR_CLASSES.includes(values.class as ErrorClass)) throw new UsageError(`--class must be one of ${ERROR_CLASSES.join(', ')}, got "${String(values.class)}"`);
    filter.errorClass = values.class as ErrorClass;
  }
  return filter;
}

function dlqLine(e: DlqEntry): string {
  const waiting = e.waitingBehind ? `  (+${e.waitingBehind} waiting)` : '';
  return `#${e.id}  ${new Date(e.lastFailedAt).toISOString()}  ${e.errorClass.padEnd(10)} ${e.syncId} ${e.direction === 'a-to-b' ? '→' : '←'} ${e.targetSystem}  ${e.entity}/${e.key}${waiting}  ${e.message}`;
}

async function cmdDlq(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  const common = { workspace: { type: 'string' as const }, json: { type: 'boolean' as const } };
  const filterOpts = { flow: { type: 'string' as const }, sync: { type: 'string' as const }, class: { type: 'string' as const }, text: { type: 'string' as const } };
  if (action === 'list') {
    const { values } = parse(rest, { ...common, ...filterOpts, limit: { type: 'string' }, offset: { type: 'string' } }, { min: 0, max: 0, names: '' });
    const limit = intOption(values, 'limit', 50, 1, 1000);
    const offset = intOption(values, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const filter = dlqFilter(values);
    return withWorkspaceApi(workspaceOf(values), io, false, async (api) => {
      const { total, entries } = await api.call('dlq.list', { filter, limit, offset });
      if (values.json) io.out(JSON.stringify({ total, entries: entries.map(({ detail, ...e }) => ({ ...e, detail })) }, null, 2));
      else {
        io.out(`${total} entr${total === 1 ? 'y' : 'ies'} in the dead-letter queue${total > entries.length ? ` (showing ${entries.length})` : ''}`);
        for (const e of entries) io.out(dlqLine(e));
      }
      return EXIT.ok;
    });
  }
  if (action === 'show') {
    const { values, positionals } = parse(rest, common, { min: 1, max: 1, names: 'the entry id: synccanvas dlq show <id>' });
    const id = Number(positionals[0]);
    if (!Number.isInteger(id)) throw new UsageError(`"${positionals[0]}" is not an entry id (a whole number, as \`synccanvas dlq list\` shows)`);
    return withWorkspaceApi(workspaceOf(values), io, false, async (api) => {
      const e = await api.call('dlq.get', { id });
      if (values.json) io.out(JSON.stringify(e, null, 2));
      else {
        io.out(dlqLine(e));
        io.out(`  attempts ${e.attempts}, first failed ${new Date(e.firstFailedAt).toISOString()}, event ${e.eventId}`);
        if (e.response) io.out(`  target said: ${e.response}`);
        io.out(`  change:  ${JSON.stringify(e.event.fields)}`);
        if (e.payload) io.out(`  payload: ${JSON.stringify(e.payload)}`);
        if (e.detail) io.out(`  detail:  ${JSON.stringify(e.detail)}`);
        const n = e.waitingBehind ?? 0;
        if (n > 0) io.out(`  ${n} later change${n === 1 ? ' is' : 's are'} waiting behind this one (they apply in order once it is replayed or discarded)`);
      }
      return EXIT.ok;
    });
  }
  if (action === 'replay' || action === 'discard' || action === 'undo') {
    const { values, positionals } = parse(rest, action === 'undo' ? common : { ...common, ...filterOpts, all: { type: 'boolean' } }, { min: 0, max: 100_000, names: '' });
    const ids = positionals.map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n)) throw new UsageError(`"${p}" is not an entry id (a whole number, as \`synccanvas dlq list\` shows)`);
      return n;
    });
    if (action === 'undo') {
      if (ids.length === 0) throw new UsageError('say which discarded entries to bring back: synccanvas dlq undo <id>...');
      return withWorkspaceApi(workspaceOf(values), io, true, async (api) => {
        const r = await api.call('dlq.undoDiscard', { ids });
        if (values.json) io.out(JSON.stringify(r));
        else {
          io.out(`restored ${r.restored} entr${r.restored === 1 ? 'y' : 'ies'}`);
          if (r.expired.length) io.err(`not restored (never discarded, or discarded more than ${DISCARD_UNDO_WINDOW_MS / 1000} s ago): ${r.expired.join(', ')}`);
        }
        return r.expired.length === 0 ? EXIT.ok : EXIT.failed;
      });
    }
    const filter = dlqFilter(values);
    if (ids.length === 0 && !values.all && Object.keys(filter).length === 0) throw new UsageError(`say which entries to ${action}: ids, --all, --class C, --sync ID or --flow ID`);
    const selection = ids.length ? { ids } : { filter };
    return withWorkspaceApi(workspaceOf(values), io, true, async (api) => {
      const n = action === 'replay' ? (await api.call('dlq.replay', selection)).replayed : (await api.call('dlq.discard', selection)).discarded;
      if (values.json) io.out(JSON.stringify(action === 'replay' ? { replayed: n } : { discarded: n }));
      else if (action === 'replay') io.out(`replayed ${n} entr${n === 1 ? 'y' : 'ies'}${api.via === 'workspace' ? ' (they apply when the flow runs next)' : ''}`);
      else io.out(`discarded ${n} entr${n === 1 ? 'y' : 'ies'}${n > 0 ? `; undo within ${DISCARD_UNDO_WINDOW_MS / 1000} s with \`synccanvas dlq undo <id>...\`` : ''}`);
      return EXIT.ok;
    });
  }
  if (action === 'resolve') {
    const { values, positionals } = parse(rest, { ...common, keep: { type: 'string' }, value: { type: 'string' } }, { min: 1, max: 1, names: 'the conflict id: synccanvas dlq resolve <id> --keep a|b' });
    const id = Number(positionals[0]);
    if (!Number.isInteger(id)) throw new UsageError(`"${positionals[0]}" is not an entry id (a whole number, as \`synccanvas dlq list --class conflict\` shows)`);
    if ((values.keep === undefined) === (values.value === undefined)) throw new UsageError('give either --keep a|b or --value JSON');
    if (values.keep !== undefined && values.keep !== 'a' && values.keep !== 'b') throw new UsageError(`--keep must be "a" or "b", got "${String(values.keep)}"`);
    let choice: { keep: 'a' | 'b' } | { value: unknown };
    if (values.keep !== undefined) choice = { keep: values.keep as 'a' | 'b' };
    else {
      try {
        choice = { value: JSON.parse(String(values.value)) };
      } catch {
        throw new UsageError(`--value must be JSON (e.g. '"Gold"', 42 or null), got ${String(values.value)}`);
      }
    }
    return withWorkspaceApi(workspaceOf(values), io, true, async (api) => {
      await api.call('conflicts.resolve', { id, ...choice });
      if (values.json) io.out(JSON.stringify({ ok: true }));
      else io.out(`resolved conflict ${id}: ${'keep' in choice ? `kept side ${choice.keep}'s value` : `set ${JSON.stringify(choice.value)}`} on both sides`);
      return EXIT.ok;
    });
  }
  throw new UsageError(action ? `unknown dlq action "${action}": use list, show, replay, discard, undo or resolve` : 'missing the dlq action: list, show, replay, discard, undo or resolve');
}

/**
 * For read-only commands on one sync of a flow file (preview, match): parse the common arguments,
 * open the workspace store (or an empty one) and the sync's two systems, run `fn`, close everything.
 */
async function withSyncOfFlowFile(
  argv: string[],
  io: Io,
  command: string,
  defaultLimit: number,
  fn: (ctx: { flow: FlowDocument; sync: FlowDocument['syncs'][number]; limit: number; json: boolean; store: Store; systems: Map<string, OpenedSystem> }) => Promise<void>,
): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { sync: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, workspace: { type: 'string' } },
    { min: 1, max: 1, names: `the flow file: synccanvas ${command} <flow.json> --sync ID` },
  );
  if (!values.sync) throw new UsageError(`missing --sync ID: which sync to ${command}`);
  const limit = intOption(values, 'limit', defaultLimit, 1, 100_000);
  const file = readFlowFile(positionals[0]!);
  if (!file.ok) {
    io.err(file.message);
    return EXIT.failed;
  }
  const flow = file.flow;
  const sync = flow.syncs.find((x) => x.id === values.sync);
  if (!sync) {
    io.err(`flow "${flow.id}" has no sync "${String(values.sync)}": use one of ${flow.syncs.map((x) => `"${x.id}"`).join(', ')}`);
    return EXIT.failed;
  }
  const workspace = workspaceOf(values);
  // These commands read the workspace (links) but never write: a missing workspace is an empty one.
  const store = fs.existsSync(path.join(workspace, 'workspace.db')) ? await withDataKey(Store.open(path.join(workspace, 'workspace.db')), workspace) : Store.open(':memory:');
  const systems = new Map<string, OpenedSystem>();
  try {
    const secrets = await createSecretChain({ workspaceDir: workspace });
    for (const id of [sync.a.system, sync.b.system]) systems.set(id, await openSystem(flow, flow.systems.find((x) => x.id === id)!, secrets, path.join(workspace, 'data')));
    await fn({ flow, sync, limit, json: Boolean(values.json), store, systems });
    return EXIT.ok;
  } finally {
    await Promise.allSettled([...systems.values()].map((x) => x.connector.close()));
    store.close();
  }
}

async function cmdPreview(argv: string[], io: Io): Promise<number> {
  return withSyncOfFlowFile(argv, io, 'preview', 20, async ({ flow, sync, limit, json, store, systems }) => {
    const result = await runPreview(flow, sync.id, limit, store, systems);
    if (json) {
      io.out(JSON.stringify(result, null, 2));
      return;
    }
    const counts = new Map<string, number>();
    for (const r of result.rows) counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
    io.out(`preview of ${sync.id} (${result.direction === 'a-to-b' ? '→' : '←'}), ${result.rows.length} records, nothing written: ${[...counts].map(([a, n]) => `${n} ${a}`).join(', ') || 'no records'}`);
    for (const r of result.rows) {
      io.out(`  ${r.action.padEnd(8)} ${r.sourceKey}${r.targetKey ? ` → ${r.targetKey}` : ''}${r.reason ? `  (${r.reason})` : ''}`);
      for (const c of r.changes) io.out(`           ${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`);
    }
    const a = result.audit;
    if (a.duplicateMatchKeys.length) io.out(`  duplicate match keys in the samples: ${a.duplicateMatchKeys.join(', ')}`);
    if (a.missingRequired.length) io.out(`  missing required fields: ${a.missingRequired.map((m) => `${m.key}.${m.field}`).join(', ')}`);
    if (a.multipleMatches.length) io.out(`  records matching more than one target: ${a.multipleMatches.join(', ')}`);
  });
}

async function cmdMatch(argv: string[], io: Io): Promise<number> {
  return withSyncOfFlowFile(argv, io, 'match', 10_000, async ({ flow, sync, limit, json, store, systems }) => {
    const [a, b] = await Promise.all([
      systems.get(sync.a.system)!.connector.readSamples(sync.a.entity, limit + 1),
      systems.get(sync.b.system)!.connector.readSamples(sync.b.entity, limit + 1),
    ]);
    const report = matchingReport(sync, { a: a.slice(0, limit), b: b.slice(0, limit) }, (side, key) => store.links.other(flow.id, sync.id, side, key), a.length > limit || b.length > limit);
    if (json) {
      io.out(JSON.stringify(report, null, 2));
      return;
    }
    const name = (side: 'a' | 'b') => flow.systems.find((x) => x.id === sync[side].system)?.name ?? sync[side].system;
    io.out(`matching ${name('a')} ${sync.a.entity} ↔ ${name('b')} ${sync.b.entity} by ${sync.matchKey.a} = ${sync.matchKey.b} (${sync.matchKey.normalize}); nothing written`);
    io.out(`  read ${report.read.a} + ${report.read.b} records${report.read.truncated ? ' (truncated: raise --limit)' : ''}`);
    io.out(`  ${report.matched} pairs would be linked, ${report.alreadyLinked} already linked`);
    io.out(`  ${report.unmatched.a.length} only in ${name('a')} (would be created in ${name('b')}), ${report.unmatched.b.length} only in ${name('b')} (would be created in ${name('a')})`);
    for (const side of ['a', 'b'] as const) {
      for (const d of report.duplicates[side]) io.out(`  duplicate in ${name(side)}: "${d.value}" on ${d.keys.join(', ')} — merge them before going live`);
      if (report.missingKey[side].length) io.out(`  ${report.missingKey[side].length} records in ${name(side)} have no ${sync.matchKey[side]}: ${report.missingKey[side].slice(0, 10).join(', ')}`);
    }
  });
}

const SOURCE_WORDS = { environment: 'environment variable', folder: 'secrets folder', vault: 'encrypted vault', keychain: 'OS keychain' } as const;

/** `synccanvas secrets …`: the provider chain of the runtime (secrets/provider-chain.ts); values never reach the output. */
async function cmdSecrets(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  const options = { workspace: { type: 'string' }, json: { type: 'boolean' }, 'from-env': { type: 'string' } } as const;
  if (action === 'set') {
    const { values, positionals } = parse(rest, options, { min: 1, max: 1, names: 'the secret name: synccanvas secrets set <name>' });
    const name = checkSecretName(positionals[0]!);
    const chain = await createSecretChain({ workspaceDir: workspaceOf(values) });
    const target = await chain.writeTarget().catch((e: Error) => e);
    if (target instanceof Error) {
      io.err(`synccanvas: cannot store secrets here: ${target.message}`);
      return EXIT.unavailable;
    }
    let value: string;
    if (values['from-env']) {
      value = process.env[values['from-env'] as string] ?? '';
      if (!value) throw new UsageError(`--from-env ${String(values['from-env'])}: that environment variable is empty or not set`);
    } else {
      if (!io.secretInput) throw new UsageError('no input to read the value from: pipe it in, or use --from-env VAR');
      value = await io.secretInput(`Value for ${name} (input hidden): `);
      if (!value) throw new UsageError('the value is empty: pipe it in (e.g. `printf %s "$TOKEN" | synccanvas secrets set NAME`) or use --from-env VAR');
    }
    await target.set!(name, value);
    if (values.json) io.out(JSON.stringify({ ok: true, name, source: target.id }));
    else io.out(`stored "${name}" in ${target.label}`);
    return EXIT.ok;
  }
  if (action === 'list') {
    const { values } = parse(rest, options, { min: 0, max: 0, names: '' });
    const chain = await createSecretChain({ workspaceDir: workspaceOf(values) });
    const all = await chain.list();
    if (values.json) io.out(JSON.stringify(all));
    else if (all.length === 0) io.out('no secrets found in any source');
    else for (const s of all) io.out(`${s.name}  (${SOURCE_WORDS[s.source]})`);
    return EXIT.ok;
  }
  if (action === 'delete') {
    const { values, positionals } = parse(rest, options, { min: 1, max: 1, names: 'the secret name: synccanvas secrets delete <name>' });
    const name = checkSecretName(positionals[0]!);
    if (name === DATA_KEY_SECRET) {
      throw new UsageError(`"${DATA_KEY_SECRET}" is the key that opens the workspaces' encrypted customer data: without it that data is unreadable, so it is not deleted from here (see docs/security.md)`);
    }
    const chain = await createSecretChain({ workspaceDir: workspaceOf(values) });
    const deleted = await chain.delete(name);
    const still = await chain.lookup(name);
    if (values.json) io.out(JSON.stringify({ ok: deleted, name, stillFrom: still.source }));
    else io.out(deleted ? `deleted "${name}"` : `"${name}" is not stored in the keychain or the vault`);
    if (still.source) io.err(`note: "${name}" is still given by the ${SOURCE_WORDS[still.source]} ${still.where}; remove it there`);
    return deleted ? EXIT.ok : EXIT.failed;
  }
  if (action === 'check') {
    const { values, positionals } = parse(rest, options, { min: 0, max: 1, names: '' });
    const workspace = workspaceOf(values);
    let flows: FlowDocument[];
    if (positionals[0]) {
      const file = readFlowFile(positionals[0]);
      if (!file.ok) {
        io.err(file.message);
        return EXIT.failed;
      }
      flows = [file.flow];
    } else {
      const store = await openStoreFor(workspace);
      try {
        flows = store.flows.list().map((f) => f.flow);
      } finally {
        store.close();
      }
    }
    const chain = await createSecretChain({ workspaceDir: workspace });
    const needed = new Map<string, string[]>();
    for (const flow of flows) {
      for (const system of flow.systems) {
        for (const [field, ref] of Object.entries(system.secretRefs)) needed.set(ref, [...(needed.get(ref) ?? []), `${flow.name} / ${system.name} (${field})`]);
      }
      // Masking token keys (docs/ai-feeds.md) are secrets the flow needs too.
      for (const [ref, uses] of tokenKeyRefs(flow)) needed.set(ref, [...(needed.get(ref) ?? []), ...uses.map((u) => `${flow.name} / ${u} (token key)`)]);
    }
    const results = [];
    for (const [name, usedBy] of needed) results.push({ ...(await chain.lookup(name)), usedBy });
    const missing = results.filter((r) => r.source === null);
    if (values.json) io.out(JSON.stringify({ store: await chain.status(), secrets: results }, null, 2));
    else {
      if (results.length === 0) io.out('the flow needs no secrets');
      for (const r of results) {
        io.out(r.source ? `ok       ${r.name}  from the ${SOURCE_WORDS[r.source]}: ${r.where}` : `MISSING  ${r.name}  needed by ${r.usedBy.join(', ')}; looked in ${r.where}`);
        for (const p of r.problems) io.out(`         (${p})`);
      }
    }
    return missing.length === 0 ? EXIT.ok : EXIT.failed;
  }
  throw new UsageError(action ? `unknown secrets action "${action}": use set, list, delete or check` : 'missing the secrets action: set, list, delete or check');
}

/** Runs fn on the workspace's store, opened for this command alone (users and feed tokens are never cached by a runtime). */
async function withWorkspaceStore<T>(values: Values, fn: (store: Store) => T): Promise<T> {
  const workspace = workspaceOf(values);
  fs.mkdirSync(workspace, { recursive: true });
  const store = Store.open(path.join(workspace, 'workspace.db'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** A person's or a token's name as typed, trimmed; refused with what is allowed. */
function usableName(raw: string): string {
  const name = raw.trim();
  if (!/^[\p{L}\p{N} ._@-]{1,80}$/u.test(name)) throw new UsageError(`"${raw}" is not a usable name: 1–80 letters, digits, spaces and . _ @ -`);
  return name;
}

/** Tokens scoped to one AI feed's served files (docs/ai-feeds.md#serving-a-feed). */
async function cmdFeeds(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  const options = { workspace: { type: 'string' }, feed: { type: 'string' }, json: { type: 'boolean' } } as const;
  if (action === 'token') {
    const { values, positionals } = parse(rest, options, { min: 1, max: 1, names: 'the token: synccanvas feeds token <name> --feed <flow>/<sync>' });
    const name = usableName(positionals[0]!);
    const m = /^([^/]+)\/([^/]+)$/.exec((values.feed as string | undefined) ?? '');
    if (!m) throw new UsageError('--feed <flow id>/<sync id> names the AI feed the token reads');
    const [, flowId, syncId] = m as unknown as [string, string, string];
    let token: string;
    try {
      token = await withWorkspaceStore(values, (store) => {
        const flow = store.flows.get(flowId)?.flow;
        const sync = flow?.syncs.find((x) => x.id === syncId);
        if (!flow) throw new Error(`there is no flow "${flowId}" in this workspace`);
        if (!sync) throw new Error(`flow "${flowId}" has no sync "${syncId}": use one of ${flow.syncs.map((x) => `"${x.id}"`).join(', ')}`);
        if (!sync.aiFeed) throw new Error(`sync "${syncId}" is not an AI feed: mark it as one first (docs/ai-feeds.md)`);
        return store.feedTokens.add(name, flowId, syncId, Date.now());
      });
    } catch (e) {
      io.err(`synccanvas: ${(e as Error).message}`);
      return EXIT.failed;
    }
    if (values.json) io.out(JSON.stringify({ name, feed: `${flowId}/${syncId}`, token }));
    else {
      io.out(token);
      io.err(`made the feed token ${name} for ${flowId}/${syncId}. The line above is the token: it reads GET /feeds/${flowId}/${syncId}/ on serve and nothing else, and is not shown again.`);
    }
    return EXIT.ok;
  }
  if (action === 'list') {
    const { values } = parse(rest, options, { min: 0, max: 0, names: '' });
    const tokens = await withWorkspaceStore(values, (store) => store.feedTokens.list());
    if (values.json) io.out(JSON.stringify(tokens));
    else if (tokens.length === 0) io.out('no feed tokens');
    else for (const t of tokens) io.out(`${t.name}  ${t.flowId}/${t.syncId}  made ${new Date(t.createdAt).toISOString()}`);
    return EXIT.ok;
  }
  if (action === 'revoke') {
    const { values, positionals } = parse(rest, options, { min: 1, max: 1, names: 'the token: synccanvas feeds revoke <name>' });
    const gone = await withWorkspaceStore(values, (store) => store.feedTokens.remove(positionals[0]!.trim()));
    if (!gone) {
      io.err(`synccanvas: there is no feed token "${positionals[0]}"`);
      return EXIT.failed;
    }
    io.out(`revoked ${positionals[0]}`);
    return EXIT.ok;
  }
  throw new UsageError('use: synccanvas feeds token <name> --feed <flow>/<sync> | feeds list | feeds revoke <name>');
}

/**
 * `synccanvas users …`: the people who may call a shared runtime. Writes go straight to the
 * workspace database; a running `serve` reads users on every request (nothing is cached), so
 * adding or removing someone takes effect at once.
 */
async function cmdUsers(argv: string[], io: Io): Promise<number> {
  const [action, ...rest] = argv;
  const options = { workspace: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' } } as const;
  if (action === 'add') {
    const { values, positionals } = parse(rest, options, { min: 1, max: 1, names: 'the person: synccanvas users add <name> --role R' });
    const name = usableName(positionals[0]!);
    const role = values.role as string | undefined;
    if (!role || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    let token: string;
    try {
      token = await withWorkspaceStore(values, (store) => store.users.add(name, role as Role, Date.now()));
    } catch (e) {
      io.err(`synccanvas: ${(e as Error).message}`);
      return EXIT.failed;
    }
    if (values.json) io.out(JSON.stringify({ name, role, token }));
    else {
      io.out(token);
      io.err(`added ${name} as ${role}. The line above is their API token: give it to them now, it is not shown again (only a hash is kept).`);
    }
    return EXIT.ok;
  }
  if (action === 'list') {
    const { values } = parse(rest, options, { min: 0, max: 0, names: '' });
    const users = await withWorkspaceStore(values, (store) => store.users.list());
    if (values.json) io.out(JSON.stringify(users));
    else if (users.length === 0) io.out('no users: serve is reachable with the printed local token only');
    else for (const u of users) io.out(`${u.name}  ${u.role}  added ${new Date(u.createdAt).toISOString()}`);
    return EXIT.ok;
  }
  if (action === 'remove') {
    const { values, positionals } = parse(rest, options, { min: 1, max: 1, names: 'the person: synccanvas users remove <name>' });
    const removed = await withWorkspaceStore(values, (store) => store.users.remove(positionals[0]!));
    if (!removed) {
      io.err(`synccanvas: there is no user "${positionals[0]}"`);
      return EXIT.failed;
    }
    io.out(`removed ${positionals[0]}; their token no longer works`);
    return EXIT.ok;
  }
  throw new UsageError(action ? `unknown users action "${action}": use add, list or remove` : 'missing the users action: add, list or remove');
}

async function cmdForget(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { workspace: { type: 'string' }, system: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
  if (!values.system || values.key === undefined) throw new UsageError('say whose data to erase: --system S --key K (the system id in the flow and the record key there)');
  const workspace = workspaceOf(values);
  const holder = lockedBy(workspace);
  // The runtime caches shadows and links and would write them back: the erasure needs the workspace to itself.
  if (holder !== null) throw new WorkspaceLockedError(`a runtime (pid ${holder}) has the workspace ${workspace} open: stop it (Ctrl+C, or SIGTERM), run forget, then start it again`);
  if (!fs.existsSync(path.join(workspace, 'workspace.db'))) throw new WorkspaceMissing(`no workspace at ${workspace} (nothing has run there yet): pass --workspace DIR`);
  const release = acquireWorkspaceLock(workspace);
  let store: Store | null = null;
  try {
    store = await openStoreFor(workspace);
    const report = forgetRecord(store, String(values.system), String(values.key));
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else {
      const total = Object.values(report.rows).reduce((a, b) => a + b, 0);
      io.out(`erased ${report.records.map((r) => `${r.system}/${r.key}`).join(', ')}: ${total} row${total === 1 ? '' : 's'}${total ? ` (${Object.entries(report.rows).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ')})` : ''}`);
      io.out('erase the person in the systems themselves too: to the runtime, a later change of this record is a new record.');
    }
    return EXIT.ok;
  } finally {
    store?.close();
    release();
  }
}

async function cmdAudit(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { workspace: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, names: '' });
  const limit = intOption(values, 'limit', 50, 1, 1000);
  const store = await openStoreFor(workspaceOf(values));
  try {
    const { total, entries } = store.audit.list(limit, 0);
    if (values.json) io.out(JSON.stringify({ total, entries }, null, 2));
    else if (entries.length === 0) io.out('the audit log is empty');
    else {
      for (const e of entries) {
        io.out(`${new Date(e.at).toISOString()}  ${e.who} (${e.role})  ${e.method}  ${JSON.stringify(e.target)}${e.reason ? `  reason: ${e.reason}` : ''}  ${e.ok ? 'ok' : `failed: ${e.error}`}`);
      }
      if (total > entries.length) io.out(`(${total - entries.length} older entries: raise --limit)`);
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function checkSecretName(name: string): string {
  const parsed = SecretRefSchema.safeParse(name);
  if (!parsed.success) throw new UsageError(`"${name}" is not a secret name: ${parsed.error.issues[0]?.message}`);
  return name;
}

/** The CLI entry: returns the exit code (bin/synccanvas.mjs sets it). */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await cmdRun(rest, io);
      case 'serve':
        return await cmdServe(rest, io);
      case 'validate':
        return await cmdValidate(rest, io);
      case 'status':
        return await cmdStatus(rest, io);
      case 'dlq':
        return await cmdDlq(rest, io);
      case 'preview':
        return await cmdPreview(rest, io);
      case 'match':
        return await cmdMatch(rest, io);
      case 'secrets':
        return await cmdSecrets(rest, io);
      case 'users':
        return await cmdUsers(rest, io);
      case 'feeds':
        return await cmdFeeds(rest, io);
      case 'audit':
        return await cmdAudit(rest, io);
      case 'forget':
        return await cmdForget(rest, io);
      case '--version':
      case 'version':
        io.out(pkg.version);
        return EXIT.ok;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`synccanvas: ${e.message}\nRun \`synccanvas --help\` for usage.`);
      return EXIT.usage;
    }
    if (e instanceof WorkspaceLockedError || e instanceof WorkspaceMissing) {
      io.err(`synccanvas: ${e.message}`);
      return EXIT.unavailable;
    }
    if (e instanceof ApiError || e instanceof SystemSetupError || e instanceof DataKeyMissingError) {
      io.err(`synccanvas: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  }
}
