import { expectNoSeriousA11yIssues as expectNoSeriousIssues } from './fixtures/axe.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, accessibility: axe-core finds no serious or critical issue on any screen of the app
 * (canvas, sync and system inspectors, each operations view, the DLQ detail), and the operations
 * dialog holds keyboard focus while open and gives it back when closed.
 */
const SYNC = 'contacts-customers';

test('every screen passes axe with no serious or critical issues', async ({ page, runtime }) => {
  test.setTimeout(150_000);
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toHaveText(/Running|Stopped/);
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);
  const problems: string[] = [];
  const run = async (screen: string) => {
    try {
      await expectNoSeriousIssues(page, screen);
    } catch (e) {
      problems.push((e as Error).message);
    }
  };
  await run('the canvas');

  await page.getByTestId(`edge-label-${SYNC}`).click({ position: { x: 20, y: 10 } });
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(page.getByTestId('sync-inspector')).toBeVisible();
  await run('the sync inspector');

  await page.locator('.react-flow__node').filter({ hasText: 'Demo CRM' }).click();
  await expect(page.getByTestId('system-inspector')).toBeVisible();
  await run('the system inspector');

  await page.getByTestId(`edge-label-${SYNC}`).click({ position: { x: 20, y: 10 } });
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByTestId('sync-panel').getByRole('button', { name: 'Preview', exact: true }).click();
  const ops = page.getByTestId('operations');
  await ops.getByRole('button', { name: 'Preview samples' }).click();
  await expect(ops.getByTestId('preview-row').first()).toBeVisible({ timeout: 30_000 });
  await run('the preview');

  await ops.getByRole('tab', { name: 'Preflight & go live' }).click();
  await expect(ops.getByTestId('preflight-verdict')).toBeVisible({ timeout: 30_000 });
  await run('preflight');

  await ops.getByRole('tab', { name: 'Dead-letter queue' }).click();
  await expect(page.getByTestId('dlq-inspector')).toBeVisible();
  await expect.poll(async () => (await page.getByTestId('dlq-row').count()) > 0 || (await page.getByTestId('dlq-empty').isVisible()), { timeout: 30_000 }).toBe(true);
  await run('the DLQ');
  if ((await page.getByTestId('dlq-row').count()) > 0) {
    await page.getByTestId('dlq-row').first().click();
    await expect(page.getByTestId('dlq-detail')).toBeVisible();
    await run('a DLQ entry');
  }

  await ops.getByRole('tab', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('chart-lag')).toBeVisible({ timeout: 30_000 });
  await run('the dashboard');

  await ops.getByRole('tab', { name: 'Audit log' }).click();
  await expect(page.getByTestId('audit-log')).toBeVisible();
  await run('the audit log');
  expect(problems).toEqual([]);
});

test('the operations dialog holds focus while open and gives it back when closed', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);
  const panel = page.getByTestId('sync-panel');
  for (const [button, tab] of [
    ['Preview', 'Preview'],
    ['Preflight & go live', 'Preflight & go live'],
    ['DLQ', 'Dead-letter queue'],
    ['Dashboard', 'Dashboard'],
  ] as const) {
    const opener = panel.getByRole('button', { name: button, exact: true });
    await opener.click();
    const ops = page.getByTestId('operations');
    await expect(ops.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
    // 30 Tabs from the DLQ once reached hidden controls behind the panel: every stop stays inside.
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press(i % 7 === 6 ? 'Shift+Tab' : 'Tab');
      const where = await ops.evaluate((el) => {
        const active = el.ownerDocument.activeElement;
        return el.contains(active) ? 'inside' : (active?.outerHTML.slice(0, 160) ?? 'nothing');

      });
      expect(where, `Tab ${i + 1} in ${tab} left the dialog`).toBe('inside');
    }
    await page.keyboard.press('Escape');
    await expect(ops).toHaveCount(0);
    await expect(opener).toBeFocused();
  }
});
