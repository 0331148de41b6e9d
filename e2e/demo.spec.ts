import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/runtime.js';
import { docsScreenshot } from './fixtures/docs-screenshots.js';

const README_SCREENSHOT = docsScreenshot('canvas-demo');

/** Problems the page reports itself: script errors, failed loads, CSP violations. */
function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return problems;
}

/** Sum of a counter over the directions shown in the side panel (the demo edge is two-way). */
async function panelCounter(page: Page, counter: string): Promise<number> {
  const texts = await page.locator(`[data-testid$="-${counter}"][data-testid^="stat-"]`).allTextContents();
  return texts.reduce((sum, t) => sum + (Number(t.replace(/[^\d]/g, '')) || 0), 0);
}

async function ensureRunning(page: Page): Promise<void> {
  const start = page.getByRole('button', { name: 'Start flow' });
  if (await start.isVisible()) await start.click();
  await expect(page.getByTestId('flow-state')).toHaveText('Running');
}

test('the demo flow shows its two systems and live stats on the edge', async ({ page, runtime }, testInfo) => {
  const problems = collectPageProblems(page);
  await page.goto(runtime.url);

  // The token leaves the address bar once the app has it.
  await expect(page.getByRole('banner')).toContainText('SyncCanvas');
  expect(new URL(page.url()).hash).not.toContain('token');

  const crm = page.locator('.react-flow__node').filter({ hasText: 'Demo CRM' });
  const billing = page.locator('.react-flow__node').filter({ hasText: 'Demo Billing' });
  await expect(crm).toBeVisible();
  await expect(billing).toBeVisible();
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);
  const edgeLabel = page.getByRole('button', { name: /Contacts ↔ Customers ?: Demo CRM ↔ Demo Billing/ });
  await expect(edgeLabel).toBeVisible();
  await expect(edgeLabel).toContainText('↔');
  await expect(edgeLabel).toContainText('real-time');
  await expect(edgeLabel).toContainText(/DLQ \d+/);

  await ensureRunning(page);
  await expect(crm).toContainText('Capturing');
  await expect(billing).toContainText('Capturing');

  // The side panel shows the first (only) edge by default, both directions.
  const panel = page.getByTestId('sync-panel');
  await expect(panel.getByRole('heading', { name: 'Contacts ↔ Customers' })).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'Demo CRM → Demo Billing' })).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'Demo Billing → Demo CRM' })).toBeVisible();

  // The simulator keeps changing records: the applied count must grow on screen, without a reload.
  await expect.poll(() => panelCounter(page, 'applied'), { timeout: 30_000, message: 'the demo applies changes' }).toBeGreaterThan(0);
  const first = await panelCounter(page, 'applied');
  await expect.poll(() => panelCounter(page, 'applied'), { timeout: 30_000, message: 'the applied count keeps growing live' }).toBeGreaterThan(first);

  // Lag p50 on the edge reads as a number with a unit once changes have been applied.
  const lagPattern = /^\d[\d,.]*\s(ms|s|min|h)$/;
  await expect
    .poll(async () => (await page.locator('[data-testid^="edge-lag-"]').allTextContents()).some((t) => lagPattern.test(t)), { timeout: 30_000 })
    .toBe(true);
  await expect(page.getByTestId('sync-health')).toHaveText(/^(Idle|Healthy|Lagging|Failing)$/);

  // Let the demo run a little so the README screenshot shows a sync that has been busy.
  await expect.poll(() => panelCounter(page, 'applied'), { timeout: 30_000 }).toBeGreaterThanOrEqual(10);

  const screenshot = await page.screenshot({ ...(README_SCREENSHOT ? { path: README_SCREENSHOT } : {}), animations: 'disabled' });
  await testInfo.attach('canvas-demo', { body: screenshot, contentType: 'image/png' });

  expect(problems).toEqual([]);
});

test('the flow can be stopped and started from the header', async ({ page, runtime }, testInfo) => {
  const problems = collectPageProblems(page);
  await page.goto(runtime.url);
  await ensureRunning(page);

  await page.getByRole('button', { name: 'Stop flow' }).click();
  await expect(page.getByTestId('flow-state')).toHaveText('Stopped');
  await expect(page.locator('.react-flow__node').filter({ hasText: 'Demo CRM' })).toContainText('Not capturing');
  await expect(page.getByTestId('sync-health')).toHaveText('Idle');
  await testInfo.attach('stopped', { body: await page.screenshot(), contentType: 'image/png' });

  await page.getByRole('button', { name: 'Start flow' }).click();
  await expect(page.getByTestId('flow-state')).toHaveText('Running');
  await expect(page.locator('.react-flow__node').filter({ hasText: 'Demo CRM' })).toContainText('Capturing');

  expect(problems).toEqual([]);
});

test('stats keep updating by polling when the event stream is unavailable', async ({ page, runtime }) => {
  let polls = 0;
  await page.route('**/api/events**', (route) => route.abort());
  page.on('request', (request) => {
    if (request.url().endsWith('/api/call/status.get')) polls += 1;
  });
  await page.goto(runtime.url);
  await ensureRunning(page);

  await expect.poll(() => panelCounter(page, 'applied'), { timeout: 30_000 }).toBeGreaterThan(0);
  const first = await panelCounter(page, 'applied');
  await expect.poll(() => panelCounter(page, 'applied'), { timeout: 30_000 }).toBeGreaterThan(first);
  expect(polls).toBeGreaterThanOrEqual(2);
});

test('a page opened without the token says how to get in', async ({ page, runtime }) => {
  await page.goto(runtime.origin + '/');
  await expect(page.getByRole('alert')).toContainText('#token=');
  await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
});
