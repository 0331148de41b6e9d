import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startEmbeddedServer } from '../../electron/runtime/connectors/postgres/test-support/embedded-server.js';
import { runTrials } from './run-trials.js';
import { formatTable, isClean, killAllRuntimes, TRIAL_KINDS } from './trial.js';

/**
 * `npm run chaos [-- --trials N] [-- --seed N] [-- --kind K] [-- --quick]`: fault-injection trials
 * against `synccanvas run` (the dist build: run `npm run build` first). Prints a table, writes
 * bench/out/chaos.json, and exits 1 unless every trial lost, duplicated, mismatched and
 * dead-lettered nothing and caught up. A failing trial is replayed with its seed and kind:
 * `npm run chaos -- --trials 1 --seed S --kind K`.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const argsSchema = z.object({
  trials: z.coerce.number().int().min(1, '--trials must be at least 1').default(20),
  seed: z.coerce.number().int().min(0, '--seed must be a whole number ≥ 0').default(() => Math.floor(Math.random() * 1_000_000)),
  kind: z.enum(TRIAL_KINDS, { message: `--kind must be one of ${TRIAL_KINDS.join(', ')}` }).optional(),
  quick: z.boolean().default(false),
});

function parseArgs(argv: string[]) {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') raw.quick = true;
    else if (a === '--trials' || a === '--seed' || a === '--kind') raw[a.slice(2)] = argv[++i];
    else throw new Error(`unknown option ${a}: use --trials N, --seed N, --kind ${TRIAL_KINDS.join('|')}, --quick`);
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

let plan: ReturnType<typeof parseArgs>;
try {
  plan = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`chaos: ${(e as Error).message}`);
  process.exit(2);
}
if (!fs.existsSync(path.join(root, 'dist/runtime/cli.js'))) {
  console.error('chaos: dist/runtime/cli.js is missing: run `npm run build` first (the trials run bin/synccanvas.mjs).');
  process.exit(2);
}

console.log(`chaos: ${plan.trials} trial(s) from seed ${plan.seed}${plan.quick ? ' (quick)' : ''}`);
const server = await startEmbeddedServer();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // Interrupted: end the runtimes and the Postgres this run started, nothing else.
    killAllRuntimes();
    void server.stop().finally(() => process.exit(130));
  });
}
const started = Date.now();
let results;
try {
  results = await runTrials(server, plan, (r) => {
    console.log(`trial ${r.trial} ${r.kind} seed ${r.seed} [${r.faults.join(', ')}]: ${isClean(r) ? 'clean' : 'FAILED'} — lost ${r.lost}, duplicated ${r.duplicated}, mismatched ${r.mismatched}, dead-lettered ${r.deadLettered}, catch-up ${r.catchUpSeconds === null ? 'never' : `${r.catchUpSeconds.toFixed(1)} s`}`);
    if (r.detail) console.log(`  ${r.detail.replace(/\n/g, '\n  ')}`);
  });
} finally {
  await server.stop();
}
console.log(`\n${formatTable(results)}`);
const clean = results.filter(isClean).length;
console.log(`\n${clean} of ${results.length} trials with all zeros (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const out = path.join(root, 'bench/out/chaos.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), plan, clean, results }, null, 2));
console.log(`chaos: wrote ${path.relative(root, out)}`);
process.exit(clean === results.length ? 0 : 1);
