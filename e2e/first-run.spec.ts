import AxeBuilder from '@axe-core/playwright';
import { expect, test } from './fixtures/runtime.js';
import { TERMS } from '../renderer/glossary/terms.js';

/**
 * Issue 15, "First run" and "Plain words": the demo opens with a short guided tour that says what it
 * is and what to try, and stays away once dismissed; the technical words in the side panel carry a
 * one-line explanation until the user hides them.
 */
test.describe('first run', () => {
  test.use({ showTour: true });

  test('a guided tour of the demo, remembered once dismissed', async ({ page, runtime }) => {
    await page.goto(runtime.url);
    const tour = page.getByRole('dialog', { name: 'Welcome to the SyncCanvas demo' });
    await expect(tour).toBeVisible();
    await expect(tour).toContainText('Step 1 of 3');
    await expect(tour).toContainText('a CRM and a billing system');
    const axe = await new AxeBuilder({ page }).include('[data-testid="tour"]').analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);

    await tour.getByRole('button', { name: 'Next' }).click();
    const tour2 = page.getByTestId('tour');
    await expect(tour2.getByRole('heading')).toHaveText('What you see');
    await tour2.getByRole('button', { name: 'Next' }).click();
    await expect(tour2.getByRole('heading')).toHaveText('What to try');
    await expect(tour2).toContainText('Preview');
    await tour2.getByRole('button', { name: 'Back' }).click();
    await expect(tour2.getByRole('heading')).toHaveText('What you see');
    await tour2.getByRole('button', { name: 'Next' }).click();
    await tour2.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByTestId('tour')).toHaveCount(0);

    // The app underneath works as before, and the tour does not come back.
    await expect(page.getByTestId('flow-state')).toHaveText(/Running|Stopped/);
    await page.reload();
    await expect(page.locator('.react-flow__edge')).toHaveCount(1);
    await page.waitForTimeout(500);
    await expect(page.getByTestId('tour')).toHaveCount(0);
  });

  test('the tour can be skipped at once', async ({ page, runtime }) => {
    await page.goto(runtime.url);
    await page.getByTestId('tour').getByRole('button', { name: 'Skip tour' }).click();
    await expect(page.getByTestId('tour')).toHaveCount(0);
    await page.reload();
    await expect(page.locator('.react-flow__edge')).toHaveCount(1);
    await expect(page.getByTestId('tour')).toHaveCount(0);
  });
});

test('technical words carry a one-line explanation until hidden', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  const panel = page.getByTestId('sync-panel');
  await expect(panel).toBeVisible();
  // Each word, and its explanation beside it, in the first direction's stats.
  const stats = panel.getByTestId('direction-a-to-b');
  for (const [word, term] of [
    ['Echoes suppressed', 'echoes'],
    ['Ownership violations', 'ownership'],
    ['DLQ depth', 'dlq'],
    ['Pending in the inbox', 'inbox'],
  ] as const) {
    const row = stats.locator('.stat-list__row').filter({ hasText: word });
    await expect(row.getByTestId(`term-hint-${term}`)).toHaveText(TERMS[term]);
  }
  await expect(stats.getByTestId('term-hint-lagP99')).toHaveText(TERMS.lagP99);
  await expect(stats.getByTestId('term-hint-lagP99')).toContainText('Lag p99');

  await panel.getByRole('button', { name: 'Hide explanations' }).click();
  await expect(panel.locator('[data-testid^="term-hint-"]')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('sync-panel')).toBeVisible();
  await expect(page.getByTestId('sync-panel').locator('[data-testid^="term-hint-"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Explain the terms' }).click();
  await expect(page.getByTestId('sync-panel').getByTestId('term-hint-echoes').first()).toBeVisible();
});
