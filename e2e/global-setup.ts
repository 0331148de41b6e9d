import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time of the non-test sources under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (/\.(ts|tsx|css|html|svg)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** The specs run the built app: fail at once, with the fix, when it has not been built. */
export default function globalSetup(): void {
  const outputs = [
    { file: 'dist/runtime/cli.js', sources: ['electron/runtime', 'shared'] },
    { file: 'dist/renderer/index.html', sources: ['renderer', 'shared'] },
  ];
  const missing = outputs.filter((o) => !existsSync(path.join(root, o.file)));
  if (missing.length > 0) {
    throw new Error(`End-to-end tests need the built app, but ${missing.map((o) => o.file).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing: run \`npm run build\` first.`);
  }
  for (const o of outputs) {
    const builtAt = statSync(path.join(root, o.file)).mtimeMs;
    const changed = o.sources.filter((s) => newestSource(path.join(root, s)) > builtAt);
    if (changed.length > 0) console.warn(`[e2e] ${o.file} is older than ${changed.join(', ')}: the specs test the last build. Run \`npm run build\` to test your changes.`);
  }
}
