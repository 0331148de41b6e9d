import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { TestBroker } from '../electron/runtime/connectors/queue/test-support/broker.js';
import { freePort } from '../electron/runtime/connectors/queue/test-support/broker.js';
import { natsUrl, startNatsServer } from '../electron/runtime/connectors/queue/test-support/nats-server.js';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 17, discovery: a NATS system added in the editor lists the server's streams and the chosen
 * stream's consumers with "List" (a real nats-server -js on 127.0.0.1), one click fills the setting,
 * typing still works, and an unreachable server is an error in the form, not an empty list.
 */
let broker: TestBroker;

test.beforeAll(async () => {
  broker = await startNatsServer();
  const nc = await connect({ servers: natsUrl(broker) });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'ORDERS-eu_2', subjects: ['orders.>'] });
  await jsm.streams.add({ name: 'AUDIT', subjects: ['audit.>'] });
  await jsm.consumers.add('ORDERS-eu_2', { durable_name: 'billing', ack_policy: 'explicit' as never });
  await jsm.consumers.add('AUDIT', { durable_name: 'auditor', ack_policy: 'explicit' as never });
  await nc.close();
});
test.afterAll(async () => {
  await broker?.stop();
});

test('NATS: List fills the stream and consumer from the server; unreachable is an error', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();
  await page.getByRole('button', { name: 'New flow' }).click();
  await page.getByTestId('palette-nats').dragTo(page.getByTestId('canvas-drop-zone'), { targetPosition: { x: 300, y: 260 } });
  const inspector = page.getByTestId('system-inspector');
  await inspector.getByRole('textbox', { name: /^Entities/ }).fill(JSON.stringify([{ name: 'orders', primaryKey: 'id', fields: [{ name: 'id', type: 'string' }] }]));
  await inspector.getByTestId('advanced-settings').locator('summary').click();
  const servers = inspector.getByRole('textbox', { name: /^Servers/ });
  const stream = inspector.getByRole('textbox', { name: /^Stream/ });

  // Nobody listens there: the form says why instead of offering nothing.
  await servers.fill(`nats://127.0.0.1:${await freePort()}`);
  await inspector.getByRole('button', { name: 'List stream names' }).click();
  await expect(inspector.getByText(/could not list the choices for "stream"/)).toBeVisible();

  await servers.fill(natsUrl(broker));
  await inspector.getByRole('button', { name: 'List stream names' }).click();
  const streams = inspector.getByRole('list', { name: 'Stream names' });
  await expect(streams.getByRole('button')).toHaveText(['AUDIT', 'ORDERS-eu_2']);
  await expect(inspector.getByText(/could not list/)).toHaveCount(0);
  await expectNoSeriousA11yIssues(page, 'the stream choices');
  // Typing narrows what is offered; a click fills the setting.
  await stream.fill('orders');
  await expect(streams.getByRole('button')).toHaveText(['ORDERS-eu_2']);
  await streams.getByRole('button', { name: 'ORDERS-eu_2' }).click();
  await expect(stream).toHaveValue('ORDERS-eu_2');

  // Consumers are those of the stream just chosen.
  await inspector.getByRole('button', { name: 'List consumer names' }).click();
  const consumers = inspector.getByRole('list', { name: 'Consumer names' });
  await expect(consumers.getByRole('button')).toHaveText(['billing']);
  await consumers.getByRole('button', { name: 'billing' }).click();
  await expect(inspector.getByRole('textbox', { name: /^Consumer/ })).toHaveValue('billing');

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
  const token = decodeURIComponent(new URL(runtime.url).hash.replace(/^#token=/, ''));
  const flowId = await page.getByLabel('Flow', { exact: true }).inputValue();
  const saved = await page.request.post(`${runtime.origin}/api/call/flows.get`, { headers: { Authorization: `Bearer ${token}` }, data: { flowId } });
  expect(((await saved.json()) as { flow: { systems: { config: Record<string, unknown> }[] } }).flow.systems[0]!.config).toMatchObject({ servers: natsUrl(broker), stream: 'ORDERS-eu_2', consumer: 'billing' });
});
