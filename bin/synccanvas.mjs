#!/usr/bin/env node
// Headless entry: `synccanvas run|serve|validate|status|dlq|preview`. Runs the bundled runtime CLI
// (dist/runtime/cli.js, built by `npm run build`) and exits with the code it returns.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'runtime', 'cli.js');
if (!existsSync(cliPath)) {
  console.error(`synccanvas: ${path.relative(process.cwd(), cliPath) || cliPath} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
const cli = await import(pathToFileURL(cliPath).href);
if (typeof cli.main !== 'function') {
  console.error(`synccanvas: ${cliPath} exports no main(argv); rebuild with \`npm run build\`.`);
  process.exit(1);
}
try {
  const code = await cli.main(process.argv.slice(2));
  // A serving command resolves only when it is done; anything left (timers, sockets) must not keep us alive.
  process.exitCode = typeof code === 'number' ? code : 0;
} catch (error) {
  console.error(`synccanvas: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
