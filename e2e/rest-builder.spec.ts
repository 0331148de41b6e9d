import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test, type DemoRuntime } from './fixtures/runtime.js';

/**
 * Issue 15, item 1: "Any REST API" is set up step by step — base URL, how it signs in, a sample
 * request, then the entity and fields detected from the answer — with one Name field, no version to
 * know about, no JSON typed (the JSON stays under Advanced settings), against a real HTTP server.
 */

const TOKEN = 'tok-e2e-ß-123';
let server: Server;
let url: string;
const requests: { path: string; auth: string | undefined }[] = [];
const previousVault = process.env.SYNCCANVAS_VAULT_KEY;

test.beforeEach(async () => {
  process.env.SYNCCANVAS_VAULT_KEY = 'e2e-vault-key-0123456789abcdef';
  requests.length = 0;
  server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', auth: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad token"}');
      return;
    }
    if (req.method === 'GET' && req.url?.startsWith('/api/members')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          data: [
            { id: 41, email: 'zoë@example.com', name: 'Zoë', plan: 'gold', active: true, joined_at: '2024-05-01T10:00:00Z', internal_note: 'x' },
            { id: 42, email: 'li@example.com', name: 'Li', plan: null, active: false, joined_at: '2024-06-01T10:00:00Z', internal_note: 'y' },
          ],
          has_more: false,
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterEach(async () => {
  if (previousVault === undefined) delete process.env.SYNCCANVAS_VAULT_KEY;
  else process.env.SYNCCANVAS_VAULT_KEY = previousVault;
  await new Promise((resolve) => server.close(resolve));
});

async function api<T>(page: Page, runtime: DemoRuntime, method: string, input: unknown): Promise<T> {
  const token = decodeURIComponent(new URL(runtime.url).hash.replace(/^#token=/, ''));
  const res = await page.request.post(`${runtime.origin}/api/call/${method}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
  expect(res.ok(), `${method} answered ${res.status()}: ${await res.text()}`).toBe(true);
  return (await res.json()) as T;
}

test('Any REST API: base URL, sign-in, a sample request, then the detected entity and fields; no JSON typed', async ({ page, runtime }, testInfo) => {
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('palette-rest').dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: { x: 300, y: 260 } });
  const inspector = page.getByTestId('system-inspector');
  await expect(inspector.locator('label', { hasText: /^Name/ })).toHaveCount(1);
  await expect(inspector.locator('textarea:visible')).toHaveCount(0);
  await inspector.getByLabel('Name', { exact: true }).fill('Members API');
  await inspector.getByLabel(/^Base URL/).fill(url);

  // A wrong sign-in first: the sample request says what went wrong.
  const builder = inspector.getByTestId('rest-builder');
  await builder.getByLabel('Sample request: the address that lists records, after the base URL').fill('/api/members?limit=50');
  await builder.getByRole('button', { name: 'Send sample request' }).click();
  await expect(builder.getByRole('alert')).toContainText('The sample request did not work');

  await builder.getByLabel('How does the API sign you in?').selectOption('bearer');
  // Only the secret this sign-in uses is asked for.
  await expect(inspector.locator('input[type="password"]:visible')).toHaveCount(1);
  await inspector.getByLabel(/^Bearer token/).fill(TOKEN);
  await inspector.getByRole('button', { name: 'Store' }).filter({ visible: true }).click();
  await expect(inspector.getByTestId('secret-state').filter({ visible: true })).toContainText('Stored in the encrypted vault');

  await builder.getByRole('button', { name: 'Send sample request' }).click();
  const sample = builder.getByTestId('rest-sample');
  await expect(sample).toContainText('Found 2 records under “data”');
  await expect(builder.getByLabel('Key field')).toHaveValue('id');
  await expect(builder.getByLabel('Entity name')).toHaveValue('members');
  await sample.getByRole('checkbox', { name: /internal_note/ }).uncheck();
  await expectNoSeriousA11yIssues(page, 'the REST builder after a sample request');
  await testInfo.attach('rest-sample', { body: await page.screenshot(), contentType: 'image/png' });
  await builder.getByRole('button', { name: 'Add entity “members”' }).click();
  await expect(builder.getByTestId('rest-entities')).toContainText('members');

  await inspector.getByRole('button', { name: 'Test connection' }).click();
  await expect(inspector.getByTestId('test-result')).toContainText('Connected.');
  await expect(inspector.getByTestId('entity-list')).toContainText('members');
  // The definition is still there as JSON, under Advanced settings.
  await inspector.getByTestId('advanced-settings').locator('summary').click();
  await expect(inspector.getByLabel(/^Entities \(required\)$/)).toHaveValue(/"recordsPath": "data"/);

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  const flowId = await page.getByLabel('Flow', { exact: true }).inputValue();
  const { flow } = await api<{ flow: { systems: { config: Record<string, unknown>; secretRefs: Record<string, string> }[] } }>(page, runtime, 'flows.get', { flowId });
  const config = flow.systems[0]!.config;
  expect(config.baseUrl).toBe(url);
  expect(config.auth).toEqual({ type: 'bearer' });
  expect(Object.keys(flow.systems[0]!.secretRefs)).toEqual(['token']);
  expect(config.entities).toEqual([
    {
      name: 'members',
      primaryKey: 'id',
      fields: [
        { name: 'id', type: 'integer' },
        { name: 'email', type: 'string' },
        { name: 'name', type: 'string' },
        { name: 'plan', type: 'string' },
        { name: 'active', type: 'boolean' },
        { name: 'joined_at', type: 'datetime' },
      ],
      read: { request: { path: '/api/members', query: { limit: '50' }, recordsPath: 'data' } },
    },
  ]);
  expect(requests.some((r) => r.path === '/api/members?limit=50' && r.auth === `Bearer ${TOKEN}`)).toBe(true);
});
