#!/usr/bin/env node
// Builds everything `npm start`, `npm test` and the packaged app run:
//   electron/main/main.ts       → dist/electron/main.js    (ESM; electron and all packages external)
//   electron/preload/preload.ts → dist/electron/preload.cjs (CJS: a sandboxed preload cannot be ESM
//                                                           nor require packages, so it is fully bundled)
//   electron/runtime/cli.ts     → dist/runtime/cli.js      (ESM; packages external, run by bin/synccanvas.mjs)
//   electron/runtime/host-main.ts → dist/runtime/host.js   (ESM; the runtime process the desktop app forks)
//   renderer/ (vite.config.ts)  → dist/renderer
// `--watch` keeps rebuilding on change (npm run dev).
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
const rel = (p) => path.relative(root, p) || '.';

// A bundled ESM file may still meet a `require` from a CommonJS dependency that esbuild inlined.
const requireBanner = "import { createRequire as __synccanvasCreateRequire } from 'node:module'; const require = __synccanvasCreateRequire(import.meta.url);";

const nodeTarget = 'node20';
const bundles = [
  {
    name: 'main',
    entryPoints: ['electron/main/main.ts'],
    outfile: 'dist/electron/main.js',
    format: 'esm',
    platform: 'node',
    target: nodeTarget,
    packages: 'external',
    external: ['electron'],
    banner: { js: requireBanner },
    sourcemap: true,
  },
  {
    name: 'preload',
    entryPoints: ['electron/preload/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    format: 'cjs',
    platform: 'node',
    target: nodeTarget,
    external: ['electron'],
    sourcemap: 'inline',
  },
  {
    // The runtime's own process under the desktop app (Electron utilityProcess; see electron/main/runtime-process.ts).
    name: 'host',
    entryPoints: ['electron/runtime/host-main.ts'],
    outfile: 'dist/runtime/host.js',
    format: 'esm',
    platform: 'node',
    target: nodeTarget,
    packages: 'external',
    banner: { js: requireBanner },
    sourcemap: true,
  },
  {
    name: 'cli',
    entryPoints: ['electron/runtime/cli.ts'],
    outfile: 'dist/runtime/cli.js',
    format: 'esm',
    platform: 'node',
    target: nodeTarget,
    packages: 'external',
    banner: { js: requireBanner },
    sourcemap: true,
  },
];

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

const missing = [...bundles.flatMap((b) => b.entryPoints), 'vite.config.ts', 'renderer/index.html'].filter((p) => !existsSync(path.join(root, p)));
if (missing.length > 0) {
  fail(`cannot build yet: missing source ${missing.length === 1 ? 'entry' : 'entries'} ${missing.join(', ')}. ` + 'They are written by other parts of the project; add them (or wait for them) and run `npm run build` again.');
}

// Loaded only now, so a missing entry is reported even where node_modules is not installed yet.
const esbuild = await import('esbuild');
const started = performance.now();
const ms = (from) => `${Math.round(performance.now() - from)} ms`;

if (!watch) {
  for (const dir of ['dist/electron', 'dist/runtime', 'dist/renderer']) rmSync(path.join(root, dir), { recursive: true, force: true });
}

const options = (b) => {
  const { name: _name, ...rest } = b;
  return { ...rest, absWorkingDir: root, bundle: true, logLevel: 'warning', legalComments: 'none' };
};

async function buildRenderer() {
  const t = performance.now();
  const vite = await import('vite');
  const result = await vite.build({
    configFile: path.join(root, 'vite.config.ts'),
    logLevel: 'warn',
    ...(watch ? { build: { watch: {} } } : {}),
  });
  if (!watch && !existsSync(path.join(root, 'dist/renderer/index.html'))) {
    fail('vite build finished but dist/renderer/index.html is missing: vite.config.ts must set build.outDir to dist/renderer.');
  }
  console.log(`build: renderer → dist/renderer (${ms(t)})`);
  return result;
}

try {
  if (watch) {
    const contexts = await Promise.all(bundles.map((b) => esbuild.context(options(b))));
    await Promise.all(contexts.map((c) => c.watch()));
    console.log(`build: watching ${bundles.map((b) => rel(path.join(root, b.entryPoints[0]))).join(', ')}`);
    await buildRenderer();
    console.log('build: watching renderer/ (Ctrl+C to stop)');
    const stop = async () => {
      await Promise.all(contexts.map((c) => c.dispose()));
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  } else {
    const t = performance.now();
    await Promise.all(bundles.map((b) => esbuild.build(options(b))));
    console.log(`build: ${bundles.map((b) => b.outfile).join(', ')} (${ms(t)})`);
    await buildRenderer();
    console.log(`build: done in ${ms(started)}`);
  }
} catch (error) {
  // esbuild and vite have already printed the located errors.
  fail(error instanceof Error ? error.message.split('\n')[0] : String(error));
}
