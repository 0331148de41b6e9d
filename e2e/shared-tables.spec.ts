import type { Page } from '@playwright/test';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, item 3: a second flow on the demo's own CRM file is not started silently. Preflight (which
 * Start flow runs first) says in plain words that the demo flow already syncs the table and writes
 * into it, and what to do.
 */

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

async function addSqlite(page: Page, at: { x: number; y: number }, id: string, name: string, file: string): Promise<void> {
  await page.getByTestId('palette-sqlite').dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: at });
  await expect(node(page, id)).toBeVisible();
  const inspector = page.getByTestId('system-inspector');
  await inspector.getByLabel('Name', { exact: true }).fill(name);
  await inspector.getByLabel(/^Path/).fill(file);
  await inspector.getByRole('button', { name: 'Test connection' }).click();
  await expect(inspector.getByTestId('test-result')).toContainText('Connected.');
}

test('a second flow on the demo’s CRM file: preflight and Start say the demo flow already syncs the table', async ({ page, runtime }) => {
  test.setTimeout(120_000);
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toHaveText('Running');
  await page.getByRole('button', { name: 'New flow' }).click();
  // The same files the demo uses, by the names a person would type.
  await addSqlite(page, { x: 120, y: 300 }, 'sqlite-database', 'My CRM', 'crm.db');
  await addSqlite(page, { x: 600, y: 300 }, 'sqlite-database-2', 'My Billing', 'billing.db');

  const from = (await node(page, 'sqlite-database').locator('[data-handleid="out-right"]').boundingBox())!;
  const target = (await node(page, 'sqlite-database-2').boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 10 });
  await page.mouse.up();
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);
  const inspector = page.getByTestId('sync-inspector');
  await expect(inspector.getByLabel('My CRM entity')).toHaveValue('contacts');
  await inspector.getByRole('button', { name: 'Auto-map fields' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(inspector.locator('.issue-list__item')).toHaveCount(0);

  // Start runs preflight first; it fails and says why, in words.
  await page.getByRole('button', { name: 'Start flow' }).click();
  const ops = page.getByTestId('operations');
  await expect(ops.getByTestId('preflight-verdict')).toHaveText('Not ready', { timeout: 30_000 });
  const check = ops.getByTestId('preflight-other-flows');
  await expect(check).toHaveClass(/preflight-check--fail/);
  await expect(check).toContainText('No other flow syncs these tables');
  await expect(check).toContainText(`My Billing "customers" is also written by the flow "Demo: CRM ↔ Billing". Each flow would take the other's writes`);
  await expect(check).toContainText('Sync this table in one flow only: delete one of the two flows, or point this sync at another table.');
  await expect(ops.getByTestId('go-live')).toBeDisabled();
  await expect(page.getByTestId('flow-state')).toHaveText('Stopped');
});
