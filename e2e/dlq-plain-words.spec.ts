import path from 'node:path';
import Database from 'better-sqlite3';
import { freezeDemoContact } from './fixtures/freeze-demo-contact.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, item 5: a failed change explained to a non-engineer. Billing gets a rule its phone
 * numbers must follow; a CRM edit breaks it. The DLQ names the person (not "contacts 2"), the systems
 * ("Demo CRM → Demo Billing"), says which mapped field the error's column is, shows the values as
 * fields with local times (JSON only behind a disclosure), and edit-and-replay is a form per field.
 */
test('a failed change in plain words, fixed with the edit form', async ({ page, runtime }) => {
  test.setTimeout(120_000);
  const crm = new Database(path.join(runtime.workspaceDir, 'data', 'crm.db'));
  const billing = new Database(path.join(runtime.workspaceDir, 'data', 'billing.db'));
  crm.pragma('busy_timeout = 5000');
  billing.pragma('busy_timeout = 5000');
  try {
    await page.goto(runtime.url);
    await expect(page.getByTestId('flow-state')).toHaveText('Running');
    billing.exec(`CREATE TRIGGER phone_rule BEFORE UPDATE OF phone_number ON customers WHEN NEW.phone_number LIKE '%999%'
                    BEGIN SELECT RAISE(ABORT, 'phone_number is not a number we can call'); END;`);
    freezeDemoContact(crm, 3);
    const person = crm.prepare('SELECT id, first_name, last_name, email FROM contacts WHERE id = 3').get() as { id: number; first_name: string; last_name: string; email: string };
    crm.prepare("UPDATE contacts SET phone = '(212) 999-0199' WHERE id = 3").run();

    const badge = page.getByTestId('edge-dlq-contacts-customers');
    await expect.poll(async () => Number((await badge.textContent())?.replace(/[^\d]/g, '')), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await badge.click();
    const dlq = page.getByTestId('dlq-inspector');
    await dlq.getByLabel('Search the DLQ').fill('not a number we can call');
    await dlq.getByLabel('Search the DLQ').press('Enter');
    const name = `${person.first_name} ${person.last_name}`;
    // Listed by the person's name, the raw key kept beside it.
    const row = dlq.getByTestId('dlq-row').filter({ hasText: name });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('contacts 3');
    await expect(row).toContainText('Demo CRM → Demo Billing');
    await row.click();

    const detail = page.getByTestId('dlq-detail');
    await expect(detail.getByRole('heading', { level: 3 })).toContainText(name);
    await expect(detail.getByRole('heading', { level: 3 })).toContainText('Demo CRM → Demo Billing');
    await expect(detail).not.toContainText('sqlite-database');
    await expect(detail.getByTestId('dlq-field-names')).toHaveText('phone_number in Demo Billing is phone in Demo CRM.');
    // Values as fields, named as the mapping names them.
    const change = detail.getByTestId('dlq-event-fields');
    await expect(change.locator('.dlq-fields__row').filter({ hasText: 'phone (phone_number in Demo Billing)' })).toContainText('(212) 999-0199');
    await expect(detail.getByTestId('dlq-payload-fields').locator('.dlq-fields__row').filter({ hasText: 'phone_number (phone in Demo CRM)' })).toContainText('+12129990199');
    // No raw JSON or epoch numbers on show: times are local clock times, JSON is behind a disclosure.
    await expect(detail.locator('.dlq-detail__json').first()).toBeHidden();
    await expect(detail.locator('.dlq-detail__timeline')).toContainText(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d changed in Demo CRM/);
    await expect(detail.locator('.dlq-detail__timeline')).not.toContainText(/\d{12}/);

    // Edit and replay with a form: a field per value, no JSON to type.
    await detail.getByRole('button', { name: 'Edit and replay…' }).click();
    const form = detail.getByRole('form', { name: 'Edit the change' });
    await expect(form.getByLabel('Source fields (JSON) — replayed with these values')).toHaveCount(0);
    await expect(form.getByLabel('first_name (given_name in Demo Billing)')).toHaveValue(person.first_name);
    await form.getByLabel('phone (phone_number in Demo Billing)').fill('(212) 555-0199');
    await form.getByRole('button', { name: 'Replay edited change' }).click();
    await expect(dlq.locator('[role="status"]:not([data-testid="dlq-mismatch"])')).toContainText('Edited and replayed 1 change.');
    await expect
      .poll(() => billing.prepare('SELECT 1 AS ok FROM customers WHERE lower(contact_email) = lower(?) AND phone_number IS ?').get(person.email, '+12125550199'), { timeout: 30_000 })
      .toEqual({ ok: 1 });
    // The edit fixed what was sent, not the CRM: the app points out that the two sides still differ.
    const mismatch = dlq.getByTestId('dlq-mismatch');
    await expect(mismatch).toContainText('The two sides of this record still differ.', { timeout: 20_000 });
    await expect(mismatch).toContainText('phone_number +12125550199 → +12129990199 (Demo CRM → Demo Billing)');

  } finally {
    crm.close();
    billing.close();
  }
});

test('an entry whose record was fixed at its source since: said so, and replay says nothing changed', async ({ page, runtime }) => {
  test.setTimeout(120_000);
  const crm = new Database(path.join(runtime.workspaceDir, 'data', 'crm.db'));
  const billing = new Database(path.join(runtime.workspaceDir, 'data', 'billing.db'));
  crm.pragma('busy_timeout = 5000');
  billing.pragma('busy_timeout = 5000');
  try {
    await page.goto(runtime.url);
    await expect(page.getByTestId('flow-state')).toHaveText('Running');
    billing.exec(`CREATE TRIGGER phone_rule BEFORE UPDATE OF phone_number ON customers WHEN NEW.phone_number LIKE '%999%'
                    BEGIN SELECT RAISE(ABORT, 'phone_number is not a number we can call'); END;`);
    freezeDemoContact(crm, 4);
    const before = crm.prepare('SELECT phone, email FROM contacts WHERE id = 4').get() as { phone: string; email: string };
    crm.prepare("UPDATE contacts SET phone = '(212) 999-0104' WHERE id = 4").run();
    const badge = page.getByTestId('edge-dlq-contacts-customers');
    await expect.poll(async () => Number((await badge.textContent())?.replace(/[^\d]/g, '')), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    // Someone puts the number back in the CRM: Billing never lost it, so the two sides agree again.
    crm.prepare('UPDATE contacts SET phone = ? WHERE id = 4').run(before.phone);

    await badge.click();
    const dlq = page.getByTestId('dlq-inspector');
    await dlq.getByTestId('dlq-row').filter({ hasText: 'contacts 4' }).first().click();
    const detail = page.getByTestId('dlq-detail');
    const since = detail.getByTestId('dlq-since');
    await expect(since).toContainText('Changed in Demo CRM since it failed:', { timeout: 20_000 });
    // (The simulator may have changed other fields of the record meanwhile.)
    await expect(since).toContainText(`phone (phone_number in Demo Billing) is now “${before.phone}” (was “(212) 999-0104”)`);
    await expect(since).toContainText('Demo Billing already agrees, so replaying changes nothing');
    await detail.getByRole('button', { name: 'Replay', exact: true }).click();
    await expect(dlq.getByRole('status').filter({ hasText: 'Nothing changed' })).toContainText('the record was fixed at its source since');
    await expect(dlq.getByRole('status').filter({ hasText: /Replayed \d/ })).toHaveCount(0);
    // Billing still holds the number, as the CRM does.
    const phone = (billing.prepare('SELECT phone_number FROM customers WHERE lower(contact_email) = lower(?)').get(before.email) as { phone_number: string }).phone_number;
    expect(phone).not.toContain('999');
  } finally {
    crm.close();
    billing.close();
  }
});
