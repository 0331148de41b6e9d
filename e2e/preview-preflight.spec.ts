import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, item 8: preview shows both directions of a two-way edge, names records instead of ids,
 * flags two source rows with one match value as duplicates (not two Creates); preflight is not
 * "Ready to go live" while the preview lists Invalid rows; going live says what happens now.
 */
test('preview and preflight agree on duplicates; going live says what happens now', async ({ page, runtime }) => {
  test.setTimeout(120_000);
  const crm = new Database(path.join(runtime.workspaceDir, 'data', 'crm.db'));
  crm.pragma('busy_timeout = 5000');
  try {
    await page.goto(runtime.url);
    await expect(page.getByTestId('flow-state')).toHaveText('Running');
    await page.getByRole('button', { name: 'Stop flow' }).click();
    await expect(page.getByTestId('flow-state')).toHaveText('Stopped');
    // Two CRM contacts with one email (the match key), written differently: one person entered twice.
    crm.prepare("INSERT INTO contacts (first_name, last_name, email, phone) VALUES ('Zoë', 'Twin', 'zoe.twin@acme.example', '(212) 555-0142'), ('Zoe', 'Twin', ' ZOE.TWIN@acme.example', '(212) 555-0142')").run();

    await page.getByTestId('sync-panel').getByRole('button', { name: 'Preview', exact: true }).click();
    const ops = page.getByTestId('operations');
    await ops.getByLabel('How many records').selectOption('1000');
    await expect(ops.getByRole('radio', { name: 'Demo CRM → Demo Billing' })).toBeChecked();
    await ops.getByRole('button', { name: 'Preview samples' }).click();
    const twins = ops.getByTestId('preview-row').filter({ hasText: /Zo[ëe] Twin/ });
    await expect(twins).toHaveCount(2);
    for (const row of await twins.all()) {
      await expect(row).toHaveAttribute('data-action', 'invalid');
      await expect(row).toContainText('duplicate: 2 contacts records share email "zoe.twin@acme.example"');
    }
    await expect(ops.getByTestId('preview-row').filter({ hasText: 'zoe.twin' }).and(ops.locator('[data-action="create"]'))).toHaveCount(0);
    // Records by name: the first row's text starts with a name, its key beside it.
    await expect(ops.getByTestId('preview-row').first().locator('td').first()).toHaveText(/^\p{L}[\p{L} .'-]+ \d+/u);

    // The other direction of the two-way edge, named by its systems.
    await ops.getByRole('radio', { name: 'Demo Billing → Demo CRM' }).check();
    await ops.getByRole('button', { name: 'Preview samples' }).click();
    await expect(ops.getByTestId('preview-row').first()).toBeVisible();
    await expect(ops.getByTestId('preview-row').filter({ hasText: /Zo[ëe] Twin/ })).toHaveCount(0);

    // Preflight does not say ready while the preview lists Invalid rows, and says which.
    await ops.getByRole('tab', { name: 'Preflight & go live' }).click();
    await expect(ops.getByTestId('preflight-verdict')).toHaveText('Not ready', { timeout: 30_000 });
    await expect(ops.getByTestId('preflight-preview-clean')).toContainText('Zoë Twin');
    await expect(ops.getByTestId('preflight-preview-clean')).toContainText('as Invalid');
    await expect(ops.getByTestId('go-live')).toBeDisabled();

    // Merge the twins: ready, and going live says what happens now.
    crm.prepare("DELETE FROM contacts WHERE email = ' ZOE.TWIN@acme.example'").run();
    await ops.getByRole('button', { name: 'Run checks again' }).click();
    await expect(ops.getByTestId('preflight-verdict')).toHaveText('Ready to go live', { timeout: 30_000 });
    await expect(ops.getByTestId('preflight-preview-clean')).toContainText('none would be refused');
    await ops.getByTestId('go-live').click();
    const feedback = ops.getByTestId('go-live-feedback');
    await expect(feedback).toContainText('The flow is live.');
    await expect(feedback).toContainText('Contacts ↔ Customers: Demo CRM ↔ Demo Billing, within seconds');
    await expect(feedback).toContainText('DLQ');
    await expect(page.getByTestId('flow-state')).toHaveText('Running');
  } finally {
    crm.close();
  }
});
