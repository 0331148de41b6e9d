import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchRow } from './types.js';

/**
 * `npm run bench [-- --quick] [-- --only NAME]`: runs every module in bench/rows/, prints one table
 * and writes the same rows to bench/out/latest.json. Machines here are noisy, so rows that have a
 * ceiling measured in the same run report the ratio: that is the figure to compare across runs.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(2);
}

const rowsDir = path.join(here, 'rows');
const modules = fs
  .readdirSync(rowsDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .filter((f) => !only || f.replace(/\.ts$/, '') === only)
  .sort();
if (modules.length === 0) {
  console.error(`bench: no benchmark module${only ? ` named "${only}"` : ''} in ${rowsDir}`);
  process.exit(2);
}

const all: BenchRow[] = [];
const failures: string[] = [];
for (const file of modules) {
  const name = file.replace(/\.ts$/, '');
  const started = performance.now();
  process.stderr.write(`bench: ${name}${quick ? ' (quick)' : ''}…\n`);
  try {
    const mod = (await import(pathToFileURL(path.join(rowsDir, file)).href)) as BenchModule;
    const rows = await mod.rows({ quick });
    all.push(...rows);
    process.stderr.write(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    failures.push(`${name}: ${(e as Error).stack ?? e}`);
    process.stderr.write(`bench: ${name} FAILED: ${(e as Error).message}\n`);
  }
}

const header = ['name', 'value', 'unit', 'ceiling', 'ratio', 'note'];
const table = all.map((r) => [r.name, fmt(r.value), r.unit, r.ceiling === undefined ? '' : fmt(r.ceiling), r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(1)}%`, r.note ?? '']);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));

const outDir = path.join(here, 'out');
fs.mkdirSync(outDir, { recursive: true });
const out = { at: new Date().toISOString(), quick, node: process.version, cpus: (await import('node:os')).cpus().length, rows: all, failures };
fs.writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}`);
if (failures.length) {
  console.error(`\n${failures.length} benchmark module(s) failed:\n${failures.join('\n')}`);
  process.exit(1);
}
