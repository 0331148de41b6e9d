import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FLOW_SCHEMA_VERSION } from '../../shared/flow/schema.js';
import type { ChangeEvent } from '../../shared/events.js';
import { startHttpServer } from '../../electron/runtime/api/http-server.js';
import { DEMO_FLOW_ID, DEMO_SYNC_ID } from '../../electron/runtime/demo/demo-flow.js';
import { openRuntime } from '../../electron/runtime/runtime.js';
import { MemorySecretStore } from '../../electron/runtime/secrets/memory-store.js';
import type { BenchOptions, BenchRow } from '../types.js';

/**
 * Operations at scale (issue 7): a preview of 1,000 records read from two real SQLite systems,
 * the DLQ inspector's first paint over 100,000 entries in the system Chromium, and DLQ replay
 * throughput through the real engine into SQLite.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
/** Launch flags as in playwright.config.ts. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function twoSystems(dir: string, n: number, billingRows: number) {
  const crm = new Database(path.join(dir, 'crm.db'));
  crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT, plan TEXT)');
  const ins = crm.prepare('INSERT INTO contacts (id, email, first_name, last_name, plan) VALUES (?, ?, ?, ?, ?)');
  crm.transaction(() => {
    for (let i = 1; i <= n; i++) ins.run(i, `user${i}@example.com`, `First${i}`, `Last${i}`, i % 3 ? 'pro' : 'basic');
  })();
  crm.close();
  const billing = new Database(path.join(dir, 'billing.db'));
  billing.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, contact_email TEXT, given_name TEXT, family_name TEXT, plan_code TEXT)');
  const insB = billing.prepare('INSERT INTO customers (id, contact_email, given_name, family_name, plan_code) VALUES (?, ?, ?, ?, ?)');
  billing.transaction(() => {
    // Most exist with an older first name (an update each), a few are missing (creates).
    for (let i = 1; i <= billingRows; i++) insB.run(10_000 + i, `USER${i}@example.com`, i % 2 ? `First${i}` : `Old${i}`, `Last${i}`, 'pro');
  })();
  billing.close();
}

const flowOf = (dir: string, direction: 'a-to-b' | 'both') => ({
  schemaVersion: FLOW_SCHEMA_VERSION,
  id: 'ops-bench',
  name: 'Operations bench',
  systems: [
    { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(dir, 'crm.db'), pollIntervalMs: 20 } },
    { id: 'billing', name: 'Billing', kind: 'sqlite', config: { path: path.join(dir, 'billing.db'), pollIntervalMs: 20 } },
  ],
  syncs: [
    {
      id: 'people',
      a: { system: 'crm', entity: 'contacts' },
      b: { system: 'billing', entity: 'customers' },
      direction,
      matchKey: { a: 'email', b: 'contact_email', normalize: 'lowercase-trim' },
      fields: [
        { a: 'email', b: 'contact_email', owner: 'a', toB: [{ type: 'lowercase' }] },
        { a: 'first_name', b: 'given_name', owner: 'a' },
        { a: 'last_name', b: 'family_name', owner: 'a' },
        { a: 'plan', b: 'plan_code', owner: 'a' },
      ],
    },
  ],
});

async function previewRow(quick: boolean): Promise<BenchRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-preview-'));
  const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
  try {
    twoSystems(dir, 1000, 950);
    const saved = await runtime.api['flows.save']({ flow: flowOf(dir, 'a-to-b') });
    if (!saved.ok) throw new Error(`bench flow invalid: ${JSON.stringify(saved.issues)}`);
    const times: number[] = [];
    let counts = '';
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const t0 = performance.now();
      const r = await runtime.api['preview.run']({ flowId: 'ops-bench', syncId: 'people', limit: 1000 });
      times.push(performance.now() - t0);
      if (r.rows.length !== 1000) throw new Error(`preview returned ${r.rows.length} rows, expected 1000`);
      const by = (a: string) => r.rows.filter((x) => x.action === a).length;
      counts = `${by('update')} updates, ${by('create')} creates, ${by('no-op')} no-ops`;
    }
    return { name: 'operations: preview of 1,000 records (two SQLite systems)', value: Math.round(median(times)), unit: 'ms', note: `read 1,000 samples + their matches, decide each, nothing written; ${counts}; median of ${times.length} (first run ${Math.round(times[0]!)} ms)` };
  } finally {
    await runtime.close({ drainMs: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function replayRow(quick: boolean): Promise<BenchRow> {
  const n = quick ? 2000 : 10_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-replay-'));
  const runtime = await openRuntime({ workspaceDir: path.join(dir, 'ws'), resume: false, secrets: new MemorySecretStore() });
  try {
    twoSystems(dir, n, 0);
    const saved = await runtime.api['flows.save']({ flow: flowOf(dir, 'a-to-b') });
    if (!saved.ok) throw new Error(`bench flow invalid: ${JSON.stringify(saved.issues)}`);
    // n failed creates in the DLQ, as a target outage would leave them.
    const now = Date.now();
    runtime.store.transaction(() => {
      for (let i = 1; i <= n; i++) {
        const event: ChangeEvent = { eventId: `bench:${i}`, system: 'crm', entity: 'contacts', key: String(i), op: 'upsert', fields: { id: i, email: `user${i}@example.com`, first_name: `First${i}`, last_name: `Last${i}`, plan: 'pro' }, sourceTime: now, captureTime: now, origin: 'user' };
        runtime.store.dlq.add({ flowId: 'ops-bench', syncId: 'people', direction: 'a-to-b', event, sourceSystem: 'crm', targetSystem: 'billing', errorClass: 'transient', message: 'billing was down', response: null, attempts: 8, firstFailedAt: now, lastFailedAt: now, payload: null });
      }
    });
    await runtime.api['flows.start']({ flowId: 'ops-bench' });
    const billing = new Database(path.join(dir, 'billing.db'), { readonly: true });
    const count = () => (billing.prepare('SELECT COUNT(*) AS n FROM customers').get() as { n: number }).n;
    const t0 = performance.now();
    const { replayed } = await runtime.api['dlq.replay']({ filter: { flowId: 'ops-bench', errorClass: 'transient' } });
    while (count() < n) {
      if (performance.now() - t0 > 120_000) throw new Error(`replay stalled at ${count()} of ${n}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const secs = (performance.now() - t0) / 1000;
    // Replaying again finds nothing: the entries left the DLQ when they were put back.
    const again = await runtime.api['dlq.replay']({ filter: { flowId: 'ops-bench' } });
    billing.close();
    return { name: 'operations: DLQ replay throughput (into SQLite)', value: Math.round(n / secs), unit: 'records/s', note: `${replayed.toLocaleString('en-US')} entries replayed with one call until all were created in the target; a second replay found ${again.replayed}` };
  } finally {
    await runtime.close({ drainMs: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function dlqPaintRows(quick: boolean): Promise<BenchRow[]> {
  const staticDir = path.join(root, 'dist/renderer');
  if (!fs.existsSync(path.join(staticDir, 'index.html'))) throw new Error('the app UI is not built (dist/renderer is missing): run `npm run build` first');
  const total = 100_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-dlq-'));
  const runtime = await openRuntime({ workspaceDir: dir, demo: { simulate: false }, resume: false, secrets: new MemorySecretStore() });
  const server = await startHttpServer({ handlers: runtime.api, host: '127.0.0.1', port: 0, staticDir, subscribe: (l) => runtime.subscribe(l) });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const now = Date.now();
    const classes = ['validation', 'permanent', 'transient'] as const;
    runtime.store.transaction(() => {
      for (let i = 0; i < total; i++) {
        const event: ChangeEvent = { eventId: `bench:${i}`, system: 'demo-crm', entity: 'contacts', key: String(i), op: 'upsert', fields: { email: `user${i}@example.com`, first_name: `First${i}`, last_name: `Last${i}` }, sourceTime: now - i, captureTime: now - i, origin: 'user' };
        runtime.store.dlq.add({ flowId: DEMO_FLOW_ID, syncId: DEMO_SYNC_ID, direction: 'a-to-b', event, sourceSystem: 'demo-crm', targetSystem: 'demo-billing', errorClass: classes[i % 3]!, message: `rejected value ${i}`, response: null, attempts: 1, firstFailedAt: now - i, lastFailedAt: now - i, payload: { given_name: `First${i}` } });
      }
    });
    const paints: number[] = [];
    const scrolls: number[] = [];
    const frames: number[] = [];
    for (let round = 0; round < (quick ? 1 : 3); round++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(server.url);
      const badge = page.getByTestId(`edge-dlq-${DEMO_SYNC_ID}`);
      await badge.waitFor({ timeout: 60_000 });
      // Click → first row painted (the frame after it is in the DOM), measured in the page.
      paints.push(
        (await page.evaluate(`new Promise((resolve) => {
          const t0 = performance.now();
          document.querySelector('[data-testid="edge-dlq-${DEMO_SYNC_ID}"]').click();
          const wait = () => document.querySelector('[data-testid="dlq-row"]') ? requestAnimationFrame(() => resolve(performance.now() - t0)) : requestAnimationFrame(wait);
          wait();
        })`)) as number,
      );
      const shown = await page.getByTestId('dlq-total').textContent();
      if (!shown?.includes('100,000')) throw new Error(`the inspector shows "${shown}", expected 100,000 entries`);
      // Jump to the middle of the list: time until that page's rows are painted.
      scrolls.push(
        (await page.evaluate(`new Promise((resolve) => {
          const list = document.querySelector('.vrows');
          const t0 = performance.now();
          list.scrollTop = list.scrollHeight / 2;
          const wait = () => document.querySelector('[data-testid="dlq-row"]') && !document.querySelector('.dlq-row--pending') ? requestAnimationFrame(() => resolve(performance.now() - t0)) : requestAnimationFrame(wait);
          requestAnimationFrame(wait);
        })`)) as number,
      );
      // Scroll with the mouse wheel through a few thousand rows while recording frame intervals.
      const list = (await page.locator('.vrows').boundingBox())!;
      await page.mouse.move(list.x + list.width / 2, list.y + list.height / 2);
      await page.evaluate(`(() => {
        window.__frames = []; window.__stop = false;
        let last = performance.now();
        const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      })()`);
      for (let i = 0; i < (quick ? 60 : 150); i++) await page.mouse.wheel(0, 400);
      frames.push(...((await page.evaluate(`(() => { window.__stop = true; return window.__frames.slice(1); })()`)) as number[]));
      await page.close();
    }
    const p95 = [...frames].sort((a, b) => a - b)[Math.floor(frames.length * 0.95)] ?? NaN;
    return [
      { name: 'operations: DLQ inspector first paint (100,000 entries)', value: Math.round(median(paints)), unit: 'ms', note: `badge click → first rows painted, server-paged (200/page), windowed rows; median of ${paints.length} (headless Chromium)` },
      { name: 'operations: DLQ inspector jump to row 50,000', value: Math.round(median(scrolls)), unit: 'ms', note: 'scroll to the middle → that page loaded and painted' },
      { name: 'operations: DLQ inspector wheel-scroll frame time p95 (100,000 entries)', value: Math.round(p95 * 10) / 10, unit: 'ms', ceiling: 1000 / 60, ratio: 1000 / 60 / p95, note: `${frames.length} frames while wheel-scrolling through the list, pages fetched as they come into view; ratio = 60 fps budget/p95` },
    ];
  } finally {
    await browser.close();
    await server.close();
    await runtime.close({ drainMs: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function rows(opts: BenchOptions): Promise<BenchRow[]> {
  return [await previewRow(opts.quick), ...(await dlqPaintRows(opts.quick)), await replayRow(opts.quick)];
}
