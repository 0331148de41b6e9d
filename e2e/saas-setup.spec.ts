import type { Page } from '@playwright/test';
import { startHubspotLike, type HubspotLike } from '../electron/runtime/connectors/definitions/contract-servers/hubspot-like.js';
import { startStripeLike, type StripeLike } from '../electron/runtime/connectors/definitions/contract-servers/stripe-like.js';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test, type DemoRuntime } from './fixtures/runtime.js';

/**
 * Issue 15, item 1 and "guided set-up for SaaS systems": a HubSpot → Stripe flow built against the
 * local contract servers (they follow the vendors' public API shapes) with no JSON typed: paste a key,
 * press Test, the entities are listed and chosen, the edge is drawn, and records move.
 */

const HUBSPOT_TOKEN = 'pat-na1-e2e-token';
const STRIPE_KEY = 'sk_test_e2e_key';
let hubspot: HubspotLike;
let stripe: StripeLike;
const previousVault = process.env.SYNCCANVAS_VAULT_KEY;

test.beforeEach(async () => {
  // This machine has no desktop keychain: secrets go to the encrypted vault, as on a server.
  process.env.SYNCCANVAS_VAULT_KEY = 'e2e-vault-key-0123456789abcdef';
  hubspot = await startHubspotLike(HUBSPOT_TOKEN);
  stripe = await startStripeLike(STRIPE_KEY);
  hubspot.put('501', { email: 'Zoë.O’Brien@example.com', firstname: 'Zoë', lastname: 'O’Brien', phone: '+1 555 0100', company: 'Ö & Co' });
  hubspot.put('502', { email: 'li.wei@example.com', firstname: 'Li', lastname: 'Wei', phone: null, company: null });
});
test.afterEach(async () => {
  if (previousVault === undefined) delete process.env.SYNCCANVAS_VAULT_KEY;
  else process.env.SYNCCANVAS_VAULT_KEY = previousVault;
  await hubspot?.close();
  await stripe?.close();
});

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);

async function addSaasSystem(page: Page, kind: string, at: { x: number; y: number }, name: string, key: string, baseUrl: string, entity: string): Promise<void> {
  await page.getByTestId(`palette-${kind}`).dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: at });
  const inspector = page.getByTestId('system-inspector');
  await expect(inspector).toBeVisible();
  // One Name field, no JSON box in sight: the JSON settings wait behind "Advanced settings".
  await expect(inspector.locator('label', { hasText: /^Name/ })).toHaveCount(1);
  await expect(inspector.locator('textarea:visible')).toHaveCount(0);
  await expect(inspector.getByText('version', { exact: false })).toHaveCount(0);
  await inspector.getByLabel('Name', { exact: true }).fill(name);

  // Paste the key and store it.
  await inspector.getByLabel(/^API token/).fill(key);
  await inspector.getByRole('button', { name: 'Store' }).click();
  await expect(inspector.getByTestId('secret-state').filter({ visible: true })).toContainText('Stored in the encrypted vault');
  // A test server instead of the vendor's address: a plain text field under Advanced.
  await inspector.getByTestId('advanced-settings').locator('summary').click();
  // Even there, the webhook listener is labelled controls, not a JSON box.
  await expect(inspector.getByLabel('Webhook: enabled')).not.toBeChecked();
  await expect(inspector.getByLabel(/^Webhook: port/)).toBeVisible();
  await inspector.getByLabel(/^Base URL/).fill(baseUrl);

  await inspector.getByRole('button', { name: 'Test connection' }).click();
  await expect(inspector.getByTestId('test-result')).toContainText('Connected.');
  await expect(inspector.getByTestId('entity-list')).toContainText(entity);
}

async function api<T>(page: Page, runtime: DemoRuntime, method: string, input: unknown): Promise<T> {
  const token = decodeURIComponent(new URL(runtime.url).hash.replace(/^#token=/, ''));
  const res = await page.request.post(`${runtime.origin}/api/call/${method}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
  expect(res.ok(), `${method} answered ${res.status()}: ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

test('a HubSpot → Stripe flow set up with keys, Test and lists only, against the contract servers', async ({ page, runtime }, testInfo) => {
  test.setTimeout(120_000);
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('flow-name').fill('CRM to payments');

  await addSaasSystem(page, 'hubspot', { x: 120, y: 300 }, 'CRM', HUBSPOT_TOKEN, hubspot.url, 'contacts');
  await expectNoSeriousA11yIssues(page, 'the guided HubSpot set-up');
  await testInfo.attach('hubspot-setup', { body: await page.screenshot(), contentType: 'image/png' });
  await addSaasSystem(page, 'stripe', { x: 620, y: 300 }, 'Payments', STRIPE_KEY, stripe.url, 'customers');

  // Draw the edge onto the Stripe system; each side's only entity is chosen for us.
  const from = (await node(page, 'hubspot-contacts').locator('[data-handleid="out-right"]').boundingBox())!;
  const target = (await node(page, 'stripe-customers').boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 12 });
  await page.mouse.up();
  const inspector = page.getByTestId('sync-inspector');
  await expect(inspector.getByLabel('CRM entity')).toHaveValue('contacts');
  await expect(inspector.getByLabel('Payments entity')).toHaveValue('customers');
  await inspector.getByRole('button', { name: 'Auto-map fields' }).click();
  await expect(inspector.getByLabel('CRM field', { exact: true })).toHaveValue('email');
  await expect(inspector.getByLabel('Payments field', { exact: true })).toHaveValue('email');
  await expect(page.locator('.sync-label')).toContainText('CRM owns');
  await testInfo.attach('sync', { body: await page.screenshot(), contentType: 'image/png' });

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  const flowId = await page.getByLabel('Flow', { exact: true }).inputValue();
  const { flow } = await api<{ flow: { systems: { kind: string; config: unknown; secretRefs: Record<string, string> }[] } }>(page, runtime, 'flows.get', { flowId });
  expect(flow.systems.map((s) => [s.kind, s.config, Object.keys(s.secretRefs)])).toEqual([
    ['hubspot', { baseUrl: hubspot.url }, ['token']],
    ['stripe', { baseUrl: stripe.url }, ['token']],
  ]);

  // Run it: the contacts arrive in Stripe as customers (read back from the Stripe-like server itself).
  await page.getByRole('button', { name: 'Start flow' }).click();
  await expect(page.getByTestId('flow-state')).toHaveText('Running', { timeout: 30_000 });
  const customers = () => [...stripe.customers.values()].map((c) => [c.email, c.phone]).sort();
  await expect.poll(customers, { timeout: 30_000 }).toEqual([
    ['Zoë.O’Brien@example.com', '+1 555 0100'],
    ['li.wei@example.com', null],
  ]);
});
