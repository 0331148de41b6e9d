import type { Locator, Page } from '@playwright/test';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, items 6 and 7 and "the owner on the canvas edge": drawing an edge connects when it is let go
 * anywhere on the other system; handles are visible; a new sync opens without red errors and with the
 * only table of each side chosen; the mapping table shows whole names and says what "owner" means; the
 * edge label names the owners and stays clear of the systems it joins.
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

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (p: Box, q: Box) => p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height;

/** Whether an element shows all of its text: nothing cut off with an ellipsis or hidden by overflow. */
async function showsWholeText(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    // Typed loosely: the e2e specs compile without the DOM library.
    type El = { tagName: string; scrollWidth: number; clientWidth: number; options: { text: string }[]; selectedIndex: number };
    const g = globalThis as unknown as {
      getComputedStyle(e: unknown): { font: string; paddingLeft: string; paddingRight: string };
      document: { createElement(tag: 'canvas'): { getContext(kind: '2d'): { font: string; measureText(t: string): { width: number } } } };
    };
    const el = element as unknown as El;
    if (el.tagName === 'SELECT') {
      // A select shows its chosen option: measure that text in the select's font against the room left beside the arrow.
      const style = g.getComputedStyle(el);
      const ctx = g.document.createElement('canvas').getContext('2d');
      ctx.font = style.font;
      const text = el.options[el.selectedIndex]?.text ?? '';
      return ctx.measureText(text).width <= el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) + 0.5;
    }
    return el.scrollWidth <= el.clientWidth + 0.5;
  });
}

test('draw an edge onto a system body, set up the sync without clipped names, owners on the edge', async ({ page, runtime }, testInfo) => {
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();
  await page.getByRole('button', { name: 'New flow' }).click();
  await addSqlite(page, { x: 120, y: 300 }, 'sqlite-database', 'CRM', 'crm.db');
  await addSqlite(page, { x: 600, y: 300 }, 'sqlite-database-2', 'Billing', 'billing.db');

  // Handles show without hovering: the pointer is away from both systems.
  await page.mouse.move(400, 700);
  await expect(node(page, 'sqlite-database').locator('[data-handleid="out-right"]')).toHaveCSS('opacity', /^(0\.[5-9]\d*|1)$/);

  // Let go in the middle of the billing system's body, far from any handle.
  const from = (await node(page, 'sqlite-database').locator('[data-handleid="out-right"]').boundingBox())!;
  const target = (await node(page, 'sqlite-database-2').boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x - 60, target.y + target.height / 2, { steps: 8 });
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 8 });
  await expect(node(page, 'sqlite-database-2').getByTestId('system-node')).toHaveClass(/system-node--drop-target/);
  await page.mouse.up();
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);

  // The new sync: the only table of each side is chosen, and nothing is red before the user acts.
  const inspector = page.getByTestId('sync-inspector');
  await expect(inspector.getByLabel('CRM entity')).toHaveValue('contacts');
  await expect(inspector.getByLabel('Billing entity')).toHaveValue('customers');
  await expect(inspector.locator('.issue-list__item')).toHaveCount(0);
  await expect(page.locator('.sync-label .issue-badge')).toHaveCount(0);
  await expectNoSeriousA11yIssues(page, 'a newly drawn sync');
  await testInfo.attach('new-sync', { body: await page.screenshot(), contentType: 'image/png' });
  // Saving by hand shows what is missing.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(inspector.locator('.issue-list__item').first()).toBeVisible();
  await expect(page.locator('.sync-label .issue-badge')).toBeVisible();

  await inspector.getByTestId('direction-both').click();
  await inspector.getByRole('button', { name: 'Auto-map fields' }).click();
  await expect(inspector.locator('[data-testid^="mapping-row-"]')).toHaveCount(6);
  for (const field of ['plan', 'payment_status']) await inspector.getByRole('button', { name: new RegExp(`^Owner of ${field}: CRM`) }).click();
  await expect(inspector.locator('.issue-list__item')).toHaveCount(0);

  // "Owner" explained in words beside the table, not only in a tooltip.
  await expect(inspector.getByTestId('owner-help')).toContainText('the system whose value is the truth for a field');
  // No field name, owner or tier cut short.
  await inspector.getByTestId('tier-near-real-time').click();
  const mustShowWhole = [
    ...(await inspector.getByTestId('mapping-table').locator('select').all()),
    ...(await inspector.locator('[data-testid^="owner-"]:not([data-testid="owner-help"])').all()),
    ...(await inspector.locator('[data-testid^="tier-"]').all()),
    ...(await inspector.locator('[data-testid^="direction-"]').all()),
  ];
  expect(mustShowWhole.length).toBe(12 + 6 + 3 + 3);
  for (const el of mustShowWhole) expect(await showsWholeText(el), `${await el.getAttribute('aria-label') ?? await el.textContent()} shows its whole text`).toBe(true);
  await expect(inspector.getByRole('button', { name: /^Owner of payment_status: Billing/ })).toHaveText('← Billing owns it');

  // The edge says who owns what; its label keeps clear of both systems and shows its whole DLQ badge.
  const label = page.locator('.sync-label');
  await expect(label.getByTestId(/^edge-owners-/)).toHaveText('CRM owns 4 · Billing owns 2');
  const labelBox = (await label.boundingBox())!;
  for (const id of ['sqlite-database', 'sqlite-database-2']) expect(overlaps(labelBox, (await node(page, id).boundingBox())!), `the edge label covers ${id}`).toBe(false);
  const dlq = label.getByTestId(/^edge-dlq-/);
  const dlqBox = (await dlq.boundingBox())!;
  expect(dlqBox.x + dlqBox.width).toBeLessThanOrEqual(labelBox.x + labelBox.width);
  for (const part of ['.sync-label__stats', '.sync-label__head', '.sync-label__title']) expect(await showsWholeText(label.locator(part)), `${part} is whole`).toBe(true);
  await expectNoSeriousA11yIssues(page, 'the mapping table of a configured sync');
  await testInfo.attach('configured-sync', { body: await page.screenshot(), contentType: 'image/png' });
});
