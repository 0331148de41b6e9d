import path from 'node:path';
import Database from 'better-sqlite3';
import type { Page, TestInfo } from '@playwright/test';
import { expect, test } from './fixtures/runtime.js';
import { docsScreenshot } from './fixtures/docs-screenshots.js';

/**
 * The DLQ's notice of the last action, not the note that the edited record's two sides still differ:
 * that one comes when the edited replay has applied, which may be after the next action.
 */
const NOTICE = '[role="status"]:not([data-testid="dlq-mismatch"])';

/**
 * Issue 7 end to end against the real runtime (`serve --demo`): preview the demo edge and see a
 * field diff, pass preflight and go live, break Billing with a validation rule so changes fail,
 * find them in the DLQ from the edge's badge, fix the mapping, replay the whole error class with
 * one click, and watch Billing converge and the DLQ empty. Screenshots go to the report and docs.
 */
const SYNC = 'contacts-customers';

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const docs = docsScreenshot(name);
  const body = await page.screenshot({ ...(docs ? { path: docs } : {}), animations: 'disabled' });
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

function openDb(runtimeDir: string, file: string): Database.Database {
  const db = new Database(path.join(runtimeDir, 'data', file));
  db.pragma('busy_timeout = 5000');
  return db;
}

/** The runtime API over HTTP, as the app calls it (the token is in the URL the CLI printed). */
async function call<T>(url: string, method: string, input: unknown): Promise<T> {
  const u = new URL(url);
  const token = decodeURIComponent(u.hash.replace(/^#token=/, ''));
  const res = await fetch(new URL(`/api/call/${method}`, u.origin), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

test('preview, preflight and go live, then fix failed changes from the DLQ with one replay', async ({ page, runtime }, testInfo) => {
  test.setTimeout(150_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  const crm = openDb(runtime.workspaceDir, 'crm.db');
  const billing = openDb(runtime.workspaceDir, 'billing.db');
  try {
    // Record desktop notifications (the web Notification API) instead of showing them.
    await page.addInitScript(() => {
      const w = globalThis as unknown as { __notes: string[]; Notification: unknown };
      w.__notes = [];
      w.Notification = class {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, opts?: { body?: string }) {
          w.__notes.push(`${title}: ${opts?.body ?? ''}`);
        }
      };
    });
    await page.goto(runtime.url);
    await expect(page.locator('.react-flow__edge')).toHaveCount(1);

    // Stopped, the CRM's edits wait: the preview shows what going live would write.
    const stop = page.getByRole('button', { name: 'Stop flow' });
    if (await stop.isVisible()) await stop.click();
    await expect(page.getByTestId('flow-state')).toHaveText('Stopped');
    crm.prepare("UPDATE contacts SET first_name = 'Previewed' WHERE id = 1").run();

    // The side panel's operations bar opens the preview of the selected edge.
    await page.getByTestId('sync-panel').getByRole('button', { name: 'Preview', exact: true }).click();
    const ops = page.getByTestId('operations');
    await expect(ops.getByRole('tab', { name: 'Preview' })).toHaveAttribute('aria-selected', 'true');
    // The simulator moves plans and payment states in Billing meanwhile: compare what the CRM feeds.
    const crmFed = () => billing.prepare('SELECT id, contact_email, given_name, family_name, phone_number FROM customers ORDER BY id').all();
    const billingBefore = crmFed();
    await ops.getByRole('button', { name: 'Preview samples' }).click();
    const diff = ops.getByTestId('preview-diff').filter({ hasText: 'given_name' }).filter({ hasText: 'Previewed' });
    await expect(diff.first()).toBeVisible();
    await expect(ops.getByTestId('preview-count-update')).toContainText(/[1-9]/);
    expect(crmFed()).toEqual(billingBefore);
    await shot(page, testInfo, 'operations-preview');

    // Preflight passes on the demo: go live from the checklist.
    await ops.getByRole('tab', { name: 'Preflight & go live' }).click();
    await expect(ops.getByTestId('preflight-verdict')).toHaveText('Ready to go live', { timeout: 30_000 });
    await expect(ops.getByTestId('preflight-match-keys')).toContainText('✓');
    await shot(page, testInfo, 'operations-preflight');
    await ops.getByTestId('go-live').click();
    await expect(page.getByTestId('flow-state')).toHaveText('Running');
    await expect
      .poll(() => (billing.prepare("SELECT COUNT(*) AS n FROM customers WHERE given_name = 'Previewed'").get() as { n: number }).n, { timeout: 30_000 })
      .toBe(1);
    await ops.getByRole('button', { name: 'Close' }).click();

    // Billing gets a validation rule: family names must be upper case. CRM edits now fail.
    billing.exec(`CREATE TRIGGER upper_family_u BEFORE UPDATE OF family_name ON customers WHEN NEW.family_name <> upper(NEW.family_name)
                    BEGIN SELECT RAISE(ABORT, 'family_name must be upper case'); END;
                  CREATE TRIGGER upper_family_i BEFORE INSERT ON customers WHEN NEW.family_name <> upper(NEW.family_name)
                    BEGIN SELECT RAISE(ABORT, 'family_name must be upper case'); END;`);
    crm.prepare("UPDATE contacts SET last_name = 'Broken' || id WHERE id BETWEEN 2 AND 6").run();
    const badge = page.getByTestId(`edge-dlq-${SYNC}`);
    await expect.poll(async () => Number((await badge.textContent())?.replace(/[^\d]/g, '')), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);

    // The edge's DLQ badge opens the inspector on that edge.
    await badge.click();
    const dlq = page.getByTestId('dlq-inspector');
    await expect(dlq).toBeVisible();
    await expect(dlq.getByLabel('Edge')).toHaveValue(SYNC);
    await dlq.getByLabel('Error class').selectOption('validation');
    await expect(dlq.getByTestId('dlq-row').first()).toBeVisible();
    await dlq.getByTestId('dlq-row').filter({ hasText: /contacts 2(?!\d)/ }).first().click();
    const detail = page.getByTestId('dlq-detail');
    await expect(detail).toContainText('family_name must be upper case');
    await expect(detail).toContainText('Broken2');
    await shot(page, testInfo, 'operations-dlq');

    // Edit and replay one change: its last name, as Billing now wants it.
    await detail.getByRole('button', { name: 'Edit and replay…' }).click();
    // The advanced JSON view of the edit form (the form itself is covered by dlq-plain-words.spec.ts).
    await detail.getByLabel('Advanced: edit as JSON').check();
    const editor = detail.getByLabel('Source fields (JSON) — replayed with these values');
    const fields = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    await editor.fill(JSON.stringify({ ...fields, last_name: 'BROKEN2' }));
    await detail.getByRole('button', { name: 'Replay edited change' }).click();
    await expect(dlq.locator(NOTICE)).toContainText('Edited and replayed 1 change.');
    const email2 = (crm.prepare('SELECT email FROM contacts WHERE id = 2').get() as { email: string }).email;
    await expect
      .poll(() => (billing.prepare('SELECT family_name FROM customers WHERE lower(contact_email) = lower(?)').get(email2) as { family_name: string } | undefined)?.family_name, { timeout: 30_000 })
      .toBe('BROKEN2');

    // Discard one with confirmation, then undo within the window (the simulator keeps adding failures,
    // so the entry itself is followed, not the count).
    const box = dlq.getByTestId('dlq-row').first().getByRole('checkbox');
    const label = (await box.getAttribute('aria-label'))!;
    await box.check();
    await dlq.getByRole('button', { name: 'Discard selected…' }).click();
    await page.getByRole('alertdialog', { name: 'Confirm discard' }).getByRole('button', { name: 'Discard' }).click();
    await expect(dlq.locator(NOTICE)).toContainText('Discarded 1 change.');
    await expect(dlq.getByRole('checkbox', { name: label, exact: true })).toHaveCount(0);
    await dlq.getByRole('button', { name: /^Undo/ }).click();
    await expect(dlq.locator(NOTICE)).toContainText('Restored 1 change.');
    await expect(dlq.getByRole('checkbox', { name: label, exact: true })).toHaveCount(1);

    // Fix the mapping in the sync inspector: last_name travels to Billing upper-cased. Save.
    await page.getByTestId('operations').getByRole('button', { name: 'Close' }).click();
    await page.getByTestId(`edge-label-${SYNC}`).click({ position: { x: 20, y: 10 } });
    await page.getByRole('tab', { name: 'Settings' }).click();
    const inspector = page.getByTestId('sync-inspector');
    await inspector.getByRole('button', { name: 'Transforms of last_name' }).click();
    await inspector.getByLabel('Add a transform, Demo CRM → Demo Billing').selectOption('uppercase');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByTestId('save-status')).toHaveText('All changes saved');
    const { flow } = await call<{ flow: { syncs: { fields: { a: string; toB: unknown[] }[] }[] } }>(runtime.url, 'flows.get', { flowId: 'demo' });
    expect(flow.syncs[0]!.fields.find((f) => f.a === 'last_name')!.toB).toEqual([{ type: 'uppercase' }]);
    await page.getByTestId(`edge-dlq-${SYNC}`).click();
    await dlq.getByLabel('Error class').selectOption('validation');

    // One click replays every validation error of this edge; Billing converges and the DLQ empties.
    await dlq.getByRole('button', { name: 'Replay all validation errors' }).click();
    await expect(dlq.locator(NOTICE)).toContainText(/Replayed \d+ validation error/);
    // Converged: each broken contact (the simulator may have renamed or deleted some meanwhile) has its
    // last name, upper-cased, in Billing.
    const converged = () => {
      const contacts = crm.prepare('SELECT email, last_name FROM contacts WHERE id BETWEEN 2 AND 6').all() as { email: string; last_name: string }[];
      return contacts.every((c) => {
        const row = billing.prepare('SELECT family_name FROM customers WHERE lower(contact_email) = lower(?)').get(c.email) as { family_name: string } | undefined;
        return row?.family_name === c.last_name.toUpperCase();
      });
    };
    await expect.poll(converged, { timeout: 30_000, message: 'Billing holds every fixed change' }).toBe(true);
    await dlq.getByLabel('Error class').selectOption('');
    await expect.poll(async () => (await dlq.getByRole('button', { name: 'Refresh' }).click(), await dlq.getByTestId('dlq-total').textContent()), { timeout: 30_000 }).toBe('0 entries');
    await expect(dlq.getByTestId('dlq-empty')).toBeVisible();
    await expect(badge).toHaveText(/DLQ 0/);
    await shot(page, testInfo, 'operations-dlq-empty');

    // What-if on history: the edge's last applied events, decided again with the mapping in the editor.
    await page.getByTestId('operations').getByRole('tab', { name: 'Preview' }).click();
    await page.getByRole('button', { name: /What-if on last events/ }).click();
    await expect(page.getByTestId('preview-panel')).toContainText(/\d+ recent events/);
    await expect(page.getByTestId('preview-row').first()).toBeVisible();

    // The dashboard charts the edge from the store's history.
    await page.getByTestId('operations').getByRole('tab', { name: 'Dashboard' }).click();
    await expect(page.getByTestId('chart-lag').locator('path').first()).toHaveAttribute('d', /M/, { timeout: 30_000 });
    // An alert threshold on the edge raises a notification when crossed.
    const alerts = page.getByRole('form', { name: 'Alert thresholds for Contacts ↔ Customers' });
    // A threshold that cannot be right is refused next to its field, not silently dropped.
    await alerts.getByLabel('DLQ depth above').fill('-5');
    await alerts.getByRole('button', { name: 'Save thresholds' }).click();
    await expect(alerts.getByRole('alert')).toHaveText('DLQ depth: must be 0 or more');
    await expect(alerts.getByRole('button', { name: 'Saved' })).toHaveCount(0);
    await alerts.getByLabel('DLQ depth above').fill('');
    await alerts.getByLabel('Lag p99 above (ms)').fill('1');
    await alerts.getByRole('button', { name: 'Save thresholds' }).click();
    await expect(page.getByTestId('dashboard-alert').first()).toContainText('lag p99', { timeout: 20_000 });
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as { __notes: string[] }).__notes.join('\n')), { timeout: 20_000 }).toContain('Contacts ↔ Customers: lag p99');
    await page.locator('.ops__body').evaluate((el) => el.scrollTo(0, 0));
    await shot(page, testInfo, 'operations-dashboard');

    // Everything changed above through the local API is in the audit log, with who did it.
    await page.getByTestId('operations').getByRole('tab', { name: 'Audit log' }).click();
    const audit = page.getByTestId('audit-log');
    await expect(audit.getByTestId('audit-row').first()).toBeVisible();
    await expect(audit).toContainText('went live');
    await expect(audit).toContainText('replayed failed changes');
    await expect(audit).toContainText('local admin (admin)');
    expect(problems).toEqual([]);
  } finally {
    crm.close();
    billing.close();
  }
});
