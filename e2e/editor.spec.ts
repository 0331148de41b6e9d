import type { Page, TestInfo } from '@playwright/test';
import { expect, test, type DemoRuntime } from './fixtures/runtime.js';
import { docsScreenshot } from './fixtures/docs-screenshots.js';

const README_SCREENSHOT = docsScreenshot('canvas-editor');

/** Calls the runtime API the way the page does (bearer token from the printed URL). */
async function api<T>(page: Page, runtime: DemoRuntime, method: string, input: unknown): Promise<T> {
  const token = decodeURIComponent(new URL(runtime.url).hash.replace(/^#token=/, ''));
  const res = await page.request.post(`${runtime.origin}/api/call/${method}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
  expect(res.ok(), `${method} answered ${res.status()}: ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await testInfo.attach(name, { body: await page.screenshot({ animations: 'disabled' }), contentType: 'image/png' });
}

/** Problems the page reports itself: script errors and console errors. */
function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return problems;
}

/** Drags a palette item onto the canvas at a point inside the canvas (HTML5 drag and drop). */
async function dropSystem(page: Page, kind: string, at: { x: number; y: number }): Promise<void> {
  await page.getByTestId(`palette-${kind}`).dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: at });
}

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

async function configureSqlite(page: Page, name: string, file: string): Promise<void> {
  const inspector = page.getByTestId('system-inspector');
  await inspector.getByLabel('Name', { exact: true }).fill(name);
  await inspector.getByLabel(/^Path/).fill(file);
  await inspector.getByRole('button', { name: 'Test connection' }).click();
  await expect(inspector.getByTestId('test-result')).toContainText('Connected.');
  await expect(inspector.getByTestId('entity-list')).toBeVisible();
}

test('builds the demo flow from an empty canvas, saves, reloads and runs it', async ({ page, runtime }, testInfo) => {
  test.setTimeout(150_000);
  const problems = collectPageProblems(page);
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();

  // The demo flow runs on the same two databases: stop it so only the flow built here moves data.
  const stop = page.getByRole('button', { name: 'Stop flow' });
  if (await stop.isVisible()) await stop.click();
  await expect(page.getByTestId('flow-state')).toHaveText('Stopped');

  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('flow-name').fill('CRM and Billing');
  await expect(page.getByRole('note')).toContainText('Drag a system from the palette onto the canvas');
  await shot(page, testInfo, '1-empty-canvas');

  // Two SQLite systems by drag and drop, each configured from its generated form and tested.
  await dropSystem(page, 'sqlite', { x: 110, y: 300 });
  await expect(node(page, 'sqlite-database')).toBeVisible();
  await configureSqlite(page, 'CRM', 'crm.db');
  await dropSystem(page, 'sqlite', { x: 640, y: 300 });
  await expect(node(page, 'sqlite-database-2')).toBeVisible();
  await configureSqlite(page, 'Billing', 'billing.db');
  await expect(node(page, 'sqlite-database')).toContainText('CRM');
  await shot(page, testInfo, '2-systems-configured');

  // Draw the edge from the CRM's right handle onto the billing system.
  const from = node(page, 'sqlite-database').locator('[data-handleid="out-right"]');
  const to = node(page, 'sqlite-database-2').locator('[data-handleid="out-left"]');
  await node(page, 'sqlite-database').hover();
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, a.y + 20, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);

  // The sync inspector opens on the new edge: entities, direction, auto-map, owners, tier.
  const inspector = page.getByTestId('sync-inspector');
  await expect(inspector).toBeVisible();
  await inspector.getByLabel('CRM entity').selectOption('contacts');
  await inspector.getByLabel('Billing entity').selectOption('customers');
  await inspector.getByTestId('direction-both').click();
  await inspector.getByRole('button', { name: 'Auto-map fields' }).click();
  const rows = inspector.locator('[data-testid^="mapping-row-"]');
  await expect(rows).toHaveCount(6);
  // Billing owns what a customer pays: one click on the owner moves plan and payment status to it.
  for (const field of ['plan', 'payment_status']) {
    const owner = inspector.getByRole('button', { name: new RegExp(`^Owner of ${field}: CRM`) });
    await owner.click();
    await expect(inspector.getByRole('button', { name: new RegExp(`^Owner of ${field}: Billing`) })).toBeVisible();
  }
  await inspector.getByTestId('tier-near-real-time').click();
  await inspector.getByLabel('Window (seconds)').fill('1');
  await inspector.getByLabel('Name').first().fill('Contacts ↔ Customers');
  await expect(page.locator('.sync-label')).toContainText('near-real-time');
  await expect(page.locator('.sync-label')).toContainText('↔');
  await page.getByRole('toolbar', { name: 'Editing' }).getByRole('button', { name: 'Fit view' }).click();
  await page.locator('.side-panel').evaluate((panel) => panel.scrollTo(0, 0));
  await page.locator('.react-flow__pane').click({ position: { x: 10, y: 200 } });
  await page.locator('.sync-label').click();
  await page.getByRole('tab', { name: 'Settings' }).click();
  await shot(page, testInfo, '3-sync-inspector');
  await page.screenshot({ ...(README_SCREENSHOT ? { path: README_SCREENSHOT } : {}), animations: 'disabled' });

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  const flows = await api<{ id: string; name: string }[]>(page, runtime, 'flows.list', {});
  const created = flows.find((f) => f.name === 'CRM and Billing');
  expect(created, 'the new flow is in the workspace').toBeTruthy();
  const saved = await api<{ flow: Record<string, unknown> }>(page, runtime, 'flows.get', { flowId: created!.id });
  expect(saved.flow).toMatchObject({
    name: 'CRM and Billing',
    systems: [
      { name: 'CRM', kind: 'sqlite', config: { path: 'crm.db' } },
      { name: 'Billing', kind: 'sqlite', config: { path: 'billing.db' } },
    ],
    syncs: [{ direction: 'both', a: { entity: 'contacts' }, b: { entity: 'customers' }, latency: { tier: 'near-real-time', windowMs: 1000 }, matchKey: { a: 'email', b: 'contact_email' } }],
  });
  const owners = (saved.flow.syncs as { fields: { a: string; owner: string }[] }[])[0]!.fields.map((f) => `${f.a}:${f.owner}`);
  expect(owners).toEqual(['email:a', 'first_name:a', 'last_name:a', 'phone:a', 'plan:b', 'payment_status:b']);

  // Reload: the editor shows the same flow, and the document in the workspace is unchanged.
  await page.reload();
  await page.getByLabel('Flow', { exact: true }).selectOption(created!.id);
  await expect(node(page, 'sqlite-database')).toContainText('CRM');
  await expect(page.locator('.sync-label')).toContainText('Contacts ↔ Customers');
  const reloaded = await api<{ flow: unknown }>(page, runtime, 'flows.get', { flowId: created!.id });
  expect(JSON.stringify(reloaded.flow)).toBe(JSON.stringify(saved.flow));
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');

  // Run it: the demo simulator keeps editing both databases, so changes flow and lag appears.
  await expect(page.locator('[data-testid^="edge-lag-"]').first()).toHaveText('—');
  await page.getByRole('button', { name: 'Start flow' }).click();
  await expect(page.getByTestId('flow-state')).toHaveText('Running');
  await expect(node(page, 'sqlite-database')).toContainText('Capturing');
  await page.getByRole('tab', { name: 'Live' }).click();
  const applied = async () => {
    const texts = await page.locator('[data-testid^="stat-"][data-testid$="-applied"]').allTextContents();
    return texts.reduce((sum, t) => sum + (Number(t.replace(/[^\d]/g, '')) || 0), 0);
  };
  await expect.poll(applied, { timeout: 40_000, message: 'changes flow through the new sync' }).toBeGreaterThan(0);
  // The edge's lag goes from "no value" to a measured lag while the page stays open.
  const lag = page.locator('[data-testid^="edge-lag-"]').first();
  const lagPattern = /^\d[\d,.]*\s(ms|s|min|h)$/;
  await expect.poll(async () => lagPattern.test((await lag.textContent()) ?? ''), { timeout: 40_000, message: 'the edge shows a live lag' }).toBe(true);
  const firstApplied = await applied();
  await expect.poll(applied, { timeout: 40_000, message: 'the applied count keeps growing' }).toBeGreaterThan(firstApplied);
  await expect(page.getByTestId('tombstone-ttl')).toHaveText(/\d/);
  await shot(page, testInfo, '4-running');

  expect(problems).toEqual([]);
});

test('a secret is sent write-only to the keychain, or the editor says the keychain is unavailable', async ({ page, runtime }, testInfo) => {
  await page.goto(runtime.url);
  await page.getByRole('button', { name: 'New flow' }).click();
  await dropSystem(page, 'webhook', { x: 300, y: 260 });
  const inspector = page.getByTestId('system-inspector');
  await expect(inspector).toBeVisible();
  const secretInput = inspector.getByLabel(/^Signing secret/);
  const status = await api<{ available: boolean; message: string }>(page, runtime, 'secrets.status', { names: [] });

  if (!status.available) {
    await expect(inspector.getByTestId('keychain-unavailable')).toContainText('Keychain unavailable');
    await expect(secretInput).toBeDisabled();
    await shot(page, testInfo, '5-keychain-unavailable');
    return;
  }

  const secret = `whsec-${Date.now()}`;
  await secretInput.fill(secret);
  await inspector.getByRole('button', { name: 'Store' }).click();
  await expect(inspector.getByTestId('secret-state')).toContainText('Stored in the keychain');
  // Write-only: the field is emptied and nothing on the page shows the value.
  await expect(secretInput).toHaveValue('');
  expect(await page.content()).not.toContain(secret);
  const flowId = await page.getByLabel('Flow', { exact: true }).inputValue();
  const ref = `synccanvas/${flowId}/webhook-inbound/signingSecret`;
  const present = await api<{ present: Record<string, boolean> }>(page, runtime, 'secrets.status', { names: [ref] });
  expect(present.present[ref]).toBe(true);
  await shot(page, testInfo, '5-secret-stored');
});

test('undo, redo, copy and paste work from the keyboard', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  await page.getByRole('button', { name: 'New flow' }).click();
  await dropSystem(page, 'sqlite', { x: 300, y: 260 });
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  await node(page, 'sqlite-database').click();
  await page.keyboard.press('Control+C');
  await page.keyboard.press('Control+V');
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 300 } });
  await page.keyboard.press('Control+Z');
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  await page.keyboard.press('Control+Shift+Z');
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('.react-flow__node')).toHaveCount(0);
});

test('a flow exports as *.flow.json and opens again from the file; the app menu reaches the editor', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  const toolbar = page.getByRole('toolbar', { name: 'Editing' });
  const [download] = await Promise.all([page.waitForEvent('download'), toolbar.getByRole('button', { name: 'Export as a flow file' }).click()]);
  expect(download.suggestedFilename()).toBe('demo-crm-billing.flow.json');
  const file = await download.path();

  await page.getByRole('button', { name: 'New flow' }).click();
  await expect(page.locator('.react-flow__node')).toHaveCount(0);
  await page.getByTestId('open-flow-file').setInputFiles(file);
  // The file holds the demo flow itself: opening it over the workspace's copy is the user's choice.
  await page.getByTestId('import-choice').getByRole('button', { name: /^Replace/ }).click();
  await expect(page.locator('.react-flow__node')).toHaveCount(2);

  // Edit ▸ Undo in the Electron menu arrives as a DOM event; in a browser the same event works.
  await page.locator('.react-flow__node').first().click();
  await page.keyboard.press('Delete');
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  // (Runs in the page; typed loosely because the test project has no DOM types.)
  await page.evaluate(() => {
    const g = globalThis as unknown as { dispatchEvent(e: unknown): void; CustomEvent: new (type: string, init: { detail: string }) => unknown };
    g.dispatchEvent(new g.CustomEvent('synccanvas:menu', { detail: 'undo' }));
  });
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
});
