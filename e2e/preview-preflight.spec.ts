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

/** The runtime API over HTTP, as the app calls it (the token is in the URL the CLI printed). */
async function call<T>(url: string, method: string, input: unknown): Promise<T> {
  const u = new URL(url);
  const token = decodeURIComponent(u.hash.replace(/^#token=/, ''));
  const res = await fetch(new URL(`/api/call/${method}`, u.origin), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

test('a value the target’s allowed-values rule refuses shows as Invalid, and preflight is not ready', async ({ page, runtime }) => {
  test.setTimeout(120_000);
  // Two small databases: tickets, and a helpdesk whose status column only allows two values.
  const desk = new Database(path.join(runtime.workspaceDir, 'data', 'desk.db'));
  const tracker = new Database(path.join(runtime.workspaceDir, 'data', 'tracker.db'));
  try {
    tracker.exec("CREATE TABLE tickets (id INTEGER PRIMARY KEY, ref TEXT NOT NULL, title TEXT, status TEXT); INSERT INTO tickets (ref, title, status) VALUES ('T-1', 'Printer jam', 'open'), ('T-2', 'Old laptop', 'archived')");
    desk.exec("CREATE TABLE cases (id INTEGER PRIMARY KEY, ref TEXT NOT NULL, subject TEXT, state TEXT CHECK (state IN ('open', 'closed')))");
    const saved = await call<{ ok: boolean }>(runtime.url, 'flows.save', {
      flow: {
        schemaVersion: 1,
        id: 'tickets',
        name: 'Tickets → Desk',
        systems: [
          { id: 'tracker', name: 'Tracker', kind: 'sqlite', config: { path: path.join(runtime.workspaceDir, 'data', 'tracker.db') }, position: { x: 80, y: 180 } },
          { id: 'desk', name: 'Help desk', kind: 'sqlite', config: { path: path.join(runtime.workspaceDir, 'data', 'desk.db') }, position: { x: 620, y: 180 } },
        ],
        syncs: [
          {
            id: 'tickets-cases',
            name: 'Tickets → Cases',
            a: { system: 'tracker', entity: 'tickets' },
            b: { system: 'desk', entity: 'cases' },
            direction: 'a-to-b',
            matchKey: { a: 'ref', b: 'ref', normalize: 'exact' },
            fields: [
              { a: 'ref', b: 'ref', owner: 'a' },
              { a: 'title', b: 'subject', owner: 'a' },
              { a: 'status', b: 'state', owner: 'a' },
            ],
          },
        ],
      },
    });
    expect(saved.ok).toBe(true);
    await page.goto(runtime.url);
    await page.locator('#flow-select').selectOption('tickets');
    await expect(page.getByTestId('sync-panel')).toContainText('Tickets → Cases');
    await page.getByTestId('sync-panel').getByRole('button', { name: 'Preview', exact: true }).click();
    const ops = page.getByTestId('operations');
    await ops.getByRole('button', { name: 'Preview samples' }).click();
    await expect(ops.getByTestId('preview-row').filter({ hasText: 'Printer jam' })).toHaveAttribute('data-action', 'create');
    const archived = ops.getByTestId('preview-row').filter({ hasText: 'Old laptop' });
    await expect(archived).toHaveAttribute('data-action', 'invalid');
    await expect(archived).toContainText('state: "archived" is not a value cases allows (open, closed)');

    await ops.getByRole('tab', { name: 'Preflight & go live' }).click();
    await expect(ops.getByTestId('preflight-verdict')).toHaveText('Not ready', { timeout: 30_000 });
    await expect(ops.getByTestId('preflight-preview-clean')).toContainText('Old laptop');
    // Nothing was written to the help desk.
    expect(desk.prepare('SELECT COUNT(*) AS n FROM cases').get()).toEqual({ n: 0 });
  } finally {
    desk.close();
    tracker.close();
  }
});
