import { homedir } from 'node:os';
import path from 'node:path';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, item 10: a database path is picked with a file picker (browser mode: the runtime lists
 * folders inside the home and workspace folders only), the form shows the absolute file a typed path
 * means (`~` is the home folder, a relative path is in the workspace's data folder), a failing path is
 * reported once, and out-of-range numbers are refused in the form with the allowed range.
 */
test('database paths: picker, resolved path, ~ and relative paths; numbers out of range refused in the form', async ({ page, runtime }, testInfo) => {
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('palette-sqlite').dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: { x: 300, y: 260 } });
  const inspector = page.getByTestId('system-inspector');
  const pathInput = inspector.getByLabel(/^Path/);
  const resolved = inspector.getByTestId('resolved-path');
  const dataDir = path.join(runtime.workspaceDir, 'data');

  // A relative path is in the workspace's data folder, and the form says so with the whole path.
  await expect(resolved).toContainText('workspace’s data folder');
  await pathInput.fill('crm.db');
  await expect(resolved).toHaveText(`File: ${path.join(dataDir, 'crm.db')}`);
  // ~ is the home folder.
  await pathInput.fill('~/synccanvas-e2e-missing/crm.db');
  await expect(resolved).toHaveText(`No file yet at ${path.join(homedir(), 'synccanvas-e2e-missing', 'crm.db')}`);
  // The connection test names that path, once.
  await inspector.getByRole('button', { name: 'Test connection' }).click();
  await expect(inspector.getByTestId('test-result')).toContainText('Connection failed.');
  const missing = path.join(homedir(), 'synccanvas-e2e-missing', 'crm.db');
  const failure = (await inspector.getByTestId('test-result').textContent()) ?? '';
  expect(failure).toContain(missing);
  expect(failure.split(missing).length - 1, `the path is named once in: ${failure}`).toBe(1);

  // The picker: Workspace ▸ data ▸ billing.db fills in the absolute path.
  await inspector.getByRole('button', { name: 'Browse…' }).click();
  const picker = page.getByRole('dialog', { name: /Choose the file for “Path”/ });
  await expect(picker).toBeVisible();
  await picker.getByRole('button', { name: 'Workspace', exact: true }).click();
  await expect(picker.getByTestId('file-picker-dir')).toHaveText(runtime.workspaceDir);
  await picker.getByRole('button', { name: /data \(folder\)/ }).click();
  await expect(picker.getByTestId('file-picker-dir')).toHaveText(dataDir);
  await expectNoSeriousA11yIssues(page, 'the file picker');
  await testInfo.attach('file-picker', { body: await page.screenshot(), contentType: 'image/png' });
  await picker.getByRole('button', { name: /^billing\.db \d/ }).click();
  await expect(picker).toBeHidden();
  await expect(pathInput).toHaveValue(path.join(dataDir, 'billing.db'));
  await expect(resolved).toHaveText(`File: ${path.join(dataDir, 'billing.db')}`);
  await inspector.getByRole('button', { name: 'Test connection' }).click();
  await expect(inspector.getByTestId('test-result')).toContainText('Connected.');

  // The picker does not leave the home and workspace folders: "Up" stops at a root, and a path outside is refused with why.
  await inspector.getByRole('button', { name: 'Browse…' }).click();
  await picker.getByRole('button', { name: 'Workspace', exact: true }).click();
  if (!runtime.workspaceDir.startsWith(homedir() + path.sep)) await expect(picker.getByRole('button', { name: '↑ Up' })).toBeDisabled();
  await page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
  const token = decodeURIComponent(new URL(runtime.url).hash.replace(/^#token=/, ''));
  const outside = await page.request.post(`${runtime.origin}/api/call/files.browse`, { headers: { Authorization: `Bearer ${token}` }, data: { path: '/etc' } });
  expect(outside.status()).toBe(403);
  expect(await outside.text()).toContain('only shows folders inside Home');

  // Numbers out of range are refused as typed, with the allowed range, and the old value is kept.
  await inspector.getByTestId('advanced-settings').locator('summary').click();
  const poll = inspector.getByLabel(/^Poll interval/);
  await expect(inspector.getByText('Allowed: between 10 and 60,000.')).toBeVisible();
  for (const bad of ['-5', '99999999']) {
    await poll.fill(bad);
    await expect(inspector.getByText('Poll interval (ms) must be between 10 and 60,000')).toHaveCount(1);
    await expect(poll).toHaveAttribute('aria-invalid', 'true');
  }
  await poll.fill('250');
  await expect(inspector.getByText(/must be between/)).toHaveCount(0);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  const flowId = await page.getByLabel('Flow', { exact: true }).inputValue();
  const saved = await page.request.post(`${runtime.origin}/api/call/flows.get`, { headers: { Authorization: `Bearer ${token}` }, data: { flowId } });
  expect(((await saved.json()) as { flow: { systems: { config: unknown }[] } }).flow.systems[0]!.config).toEqual({ path: path.join(dataDir, 'billing.db'), pollIntervalMs: 250 });
});
