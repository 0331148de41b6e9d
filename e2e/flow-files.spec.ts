import type { Page } from '@playwright/test';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test, type DemoRuntime } from './fixtures/runtime.js';

/**
 * Issue 15, item 3: opening a .flow.json whose id is already in the workspace asks (replace, or import
 * as a copy) instead of autosaving over that flow; an export after a rename is named after the new name.
 */
async function api<T>(page: Page, runtime: DemoRuntime, method: string, input: unknown): Promise<T> {
  const token = decodeURIComponent(new URL(runtime.url).hash.replace(/^#token=/, ''));
  const res = await page.request.post(`${runtime.origin}/api/call/${method}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
  expect(res.ok(), `${method} answered ${res.status()}: ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

test('a flow file with a workspace flow’s id asks before replacing it; export uses the new name', async ({ page, runtime }, testInfo) => {
  await page.goto(runtime.url);
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  const original = await api<{ flow: { name: string } }>(page, runtime, 'flows.get', { flowId: 'demo' });

  // Rename, then export: the file is named after the new name.
  await page.getByTestId('flow-name').fill('Customers — Q3 plan');
  const toolbar = page.getByRole('toolbar', { name: 'Editing' });
  const [download] = await Promise.all([page.waitForEvent('download'), toolbar.getByRole('button', { name: 'Export as a flow file' }).click()]);
  expect(download.suggestedFilename()).toBe('customers-q3-plan.flow.json');
  const file = await download.path();
  await toolbar.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByTestId('flow-name')).toHaveValue(original.flow.name);
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');

  // Open that file (its id is "demo"): a question, and nothing is saved over the demo flow meanwhile.
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('open-flow-file').setInputFiles(file);
  const ask = page.getByRole('alertdialog');
  await expect(ask).toContainText(`“${original.flow.name}” is already in this workspace`);
  await expect(ask.getByRole('button', { name: 'Import as a copy' })).toBeFocused();
  await expectNoSeriousA11yIssues(page, 'the import choice dialog');
  await testInfo.attach('import-choice', { body: await page.screenshot(), contentType: 'image/png' });
  await page.waitForTimeout(2500);
  expect((await api<{ flow: { name: string } }>(page, runtime, 'flows.get', { flowId: 'demo' })).flow.name).toBe(original.flow.name);

  await ask.getByRole('button', { name: 'Import as a copy' }).click();
  await expect(ask).toBeHidden();
  await expect(page.getByTestId('flow-name')).toHaveValue('Customers — Q3 plan (copy)');
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  const flows = await api<{ id: string; name: string }[]>(page, runtime, 'flows.list', {});
  // (The empty "Untitled flow" made by New flow is not saved: nothing was added to it.)
  expect(flows.map((f) => f.name)).toEqual(expect.arrayContaining(['Customers — Q3 plan (copy)', original.flow.name]));
  expect(flows.filter((f) => f.id === 'demo')).toHaveLength(1);
  expect((await api<{ flow: unknown }>(page, runtime, 'flows.get', { flowId: 'demo' })).flow).toEqual(original.flow);

  // Cancel opens nothing.
  await page.getByTestId('open-flow-file').setInputFiles(file);
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('flow-name')).toHaveValue('Customers — Q3 plan (copy)');
});

test('a new flow is saved once it gets a name or a system, so the flows list does not fill with empty drafts', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  const names = async () => (await api<{ name: string }[]>(page, runtime, 'flows.list', {})).map((f) => f.name).sort();
  const before = await names();

  await page.getByRole('button', { name: 'New flow' }).click();
  await expect(page.getByTestId('save-status')).toHaveText('Saved once you add a system or name it');
  await page.waitForTimeout(2500); // well past the autosave delay
  expect(await names()).toEqual(before);
  // Left for another flow untouched: gone, nothing saved.
  await page.locator('#flow-select').selectOption('demo');
  await expect(page.locator('.react-flow__node')).toHaveCount(2);
  await expect(page.locator('#flow-select option')).toHaveCount(before.length);
  expect(await names()).toEqual(before);

  // Named: saved under that name.
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('flow-name').fill('Orders to billing');
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  expect(await names()).toEqual([...before, 'Orders to billing'].sort());

  // A system dropped on the canvas of another new flow: saved too.
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('palette-sqlite').dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: { x: 300, y: 260 } });
  await expect(page.locator('.react-flow__node')).toHaveCount(1);
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  expect(await names()).toEqual([...before, 'Orders to billing', 'Untitled flow'].sort());
});
