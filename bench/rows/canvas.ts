import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import { startHttpServer } from '../../electron/runtime/api/http-server.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * The canvas at scale: a flow of 200 systems and 300 sync edges, served by the real runtime in
 * browser mode and opened in the system Chromium at 1280×800. Measures the time to first render
 * (navigation → every node and edge on screen) and the frame time p95 while a node is dragged
 * with the mouse (requestAnimationFrame intervals during the drag; 16.7 ms is 60 fps).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const SYSTEMS = 200;
const SYNCS = 300;
const COLS = 20;
const FRAME_BUDGET_MS = 1000 / 60;

/** Launch flags as in playwright.config.ts. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function largeFlow() {
  const systems = Array.from({ length: SYSTEMS }, (_, i) => ({
    id: `s${i}`,
    name: `System ${i + 1}`,
    kind: 'sqlite',
    config: { path: `s${i}.db` },
    position: { x: (i % COLS) * 320, y: Math.floor(i / COLS) * 220 },
  }));
  // Each system syncs with its right-hand neighbour (190 edges) and 110 with the one below.
  const pairs: [number, number][] = [];
  for (let i = 0; i < SYSTEMS && pairs.length < SYNCS; i++) if (i % COLS !== COLS - 1) pairs.push([i, i + 1]);
  for (let i = 0; i + COLS < SYSTEMS && pairs.length < SYNCS; i++) pairs.push([i, i + COLS]);
  const syncs = pairs.map(([a, b], k) => ({
    id: `e${k}`,
    a: { system: `s${a}`, entity: 'contacts' },
    b: { system: `s${b}`, entity: 'customers' },
    direction: k % 3 === 0 ? 'both' : 'a-to-b',
    matchKey: { a: 'email', b: 'email' },
    fields: [{ a: 'email', b: 'email', owner: 'a' }],
    latency: k % 4 === 0 ? { tier: 'batch', cron: '*/15 * * * *' } : { tier: 'real-time' },
  }));
  return { schemaVersion: FLOW_SCHEMA_VERSION, id: 'canvas-bench', name: 'Canvas bench: 200 systems', systems, syncs };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  const staticDir = path.join(root, 'dist/renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) throw new Error('the app UI is not built (dist/renderer is missing): run `npm run build` first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synccanvas-bench-canvas-'));
  const runtime = await openRuntime({ workspaceDir: dir, resume: false, secrets: new MemorySecretStore() });
  const server = await startHttpServer({ handlers: runtime.api, host: '127.0.0.1', port: 0, staticDir, subscribe: (l) => runtime.subscribe(l) });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const saved = await runtime.api['flows.save']({ flow: largeFlow() });
    if (!saved.ok) throw new Error(`the bench flow is invalid: ${JSON.stringify(saved.issues.slice(0, 3))}`);

    const firstRender: number[] = [];
    const frames: number[] = [];
    // Script tasks over 50 ms during the drag: tells script cost from paint cost when p95 is high.
    const longTasks: number[] = [];
    const rounds = opts.quick ? 1 : 3;
    const steps = opts.quick ? 90 : 240;
    for (let round = 0; round < rounds; round++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      // Record when every node and edge is in the DOM, measured from navigation start.
      // Record when every node and edge is in the DOM, measured from navigation start.
      await page.addInitScript(`(() => {
        const check = () => {
          if (document.querySelectorAll('.react-flow__node').length >= ${SYSTEMS} && document.querySelectorAll('.react-flow__edge').length >= ${SYNCS}) {
            window.__rendered = performance.now();
            return true;
          }
          return false;
        };
        new MutationObserver((_, observer) => check() && observer.disconnect()).observe(document, { childList: true, subtree: true });
      })()`);
      await page.goto(server.url);
      try {
        // A function, not a string: the app's CSP forbids eval, which a string predicate needs.
        await page.waitForFunction(() => (globalThis as unknown as { __rendered?: number }).__rendered !== undefined, null, { timeout: 60_000 });
      } catch (e) {
        const seen = await page.evaluate(`[document.querySelectorAll('.react-flow__node').length, document.querySelectorAll('.react-flow__edge').length]`);
        throw new Error(`the canvas did not show all ${SYSTEMS} systems and ${SYNCS} edges within 60 s (saw ${JSON.stringify(seen)}): ${(e as Error).message}`);
      }
      firstRender.push((await page.evaluate('window.__rendered')) as number);

      // Zoom in around one system (as a person would to move it), then drag it in a circle.
      await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
      const node = page.locator('.react-flow__node[data-id="s90"]');
      const box = (await node.boundingBox())!;
      const start = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      await page.evaluate(`(() => {
        window.__frames = [];
        window.__stop = false;
        window.__longTasks = [];
        new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask' });
        let last = performance.now();
        const tick = (t) => {
          window.__frames.push(t - last);
          last = t;
          if (!window.__stop) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      })()`);
      for (let i = 1; i <= steps; i++) {
        const a = (i / steps) * Math.PI * 4;
        await page.mouse.move(start.x + Math.cos(a) * 120 - 120, start.y + Math.sin(a) * 90);
      }
      await page.mouse.up();
      const measured = (await page.evaluate(`(() => { window.__stop = true; return window.__frames.slice(1); })()`)) as number[];
      longTasks.push(...((await page.evaluate('window.__longTasks')) as number[]));
      frames.push(...measured);
      await page.close();
    }

    const p95 = percentile(frames, 95);
    const p50 = percentile(frames, 50);
    const p90 = percentile(frames, 90);
    // Frames that made the next vsync (a little slack for timer jitter).
    const onTime = frames.filter((f) => f <= FRAME_BUDGET_MS + 1).length / frames.length;
    const render = percentile(firstRender, 50);
    return [
      {
        name: 'canvas: drag frame time p95 (200 systems / 300 edges)',
        value: p95,
        unit: 'ms',
        ceiling: FRAME_BUDGET_MS,
        ratio: FRAME_BUDGET_MS / p95,
        note: `p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, ${(onTime * 100).toFixed(0)}% of ${frames.length} frames at 60 fps, ${longTasks.length} long tasks (${Math.round(longTasks.reduce((a, b) => a + b, 0))} ms); ratio = budget/p95 (headless Chromium, software rendering)`,
      },
      { name: 'canvas: time to first render (200 systems / 300 edges)', value: render, unit: 'ms', note: `navigation → all nodes and edges in the DOM, median of ${firstRender.length}` },
    ];
  } finally {
    await browser.close();
    await server.close();
    await runtime.close({ drainMs: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
