import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expectNoSeriousA11yIssues } from './fixtures/axe.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 18 end to end against the real runtime (`serve --demo`): a CRM → "AI feed" edge into a
 * folder of JSONL files is blocked at preflight while its fields are unclassified and unmasked; the
 * user classifies them and adds masks in the inspector, the preview shows originals beside masked
 * values, preflight passes, the flow goes live, and the JSONL output holds tokens, never the emails.
 */
const KEY = 'e2e-token-key-of-more-than-thirty-two-characters';
// The runtime reads the token key from the secret provider chain; the environment is its first source.
process.env.SYNCCANVAS_SECRET_AI_FEED_TOKEN_KEY = KEY;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-e2e-ai-'));
const feed = path.join(work, 'feed');
test.afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function call<T>(url: string, method: string, input: unknown): Promise<T> {
  const u = new URL(url);
  const token = decodeURIComponent(u.hash.replace(/^#token=/, ''));
  const res = await fetch(new URL(`/api/call/${method}`, u.origin), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

test('an AI feed is blocked until classified and masked, then writes tokens, not emails', async ({ page, runtime }) => {
  test.setTimeout(150_000);
  const crm = new Database(path.join(work, 'crm.db'));
  crm.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, first_name TEXT, notes TEXT)');
  const people = [
    ['Ann.Lee@Example.com', 'Ann', 'Called +1 415 555 0132 about her card 4111 1111 1111 1111'],
    ['bob@example.org', 'Bob', 'Prefers email: bob.work@example.org'],
    ['zoë@exämple.de', 'Zoë', 'IBAN DE89 3704 0044 0532 0130 00 for refunds'],
  ];
  for (const p of people) crm.prepare('INSERT INTO contacts (email, first_name, notes) VALUES (?, ?, ?)').run(...p);
  crm.close();

  const saved = await call<{ ok: boolean }>(runtime.url, 'flows.save', {
    flow: {
      schemaVersion: 2,
      id: 'ai-feed-e2e',
      name: 'AI feed e2e',
      systems: [
        { id: 'crm', name: 'CRM', kind: 'sqlite', config: { path: path.join(work, 'crm.db'), pollIntervalMs: 20 }, position: { x: 80, y: 180 } },
        { id: 'ai', name: 'AI feed', kind: 'jsonl-folder', config: { folder: feed, entities: ['contacts'], maxFileAgeMs: 200 }, position: { x: 620, y: 180 } },
      ],
      syncs: [
        {
          id: 'crm-ai',
          a: { system: 'crm', entity: 'contacts' },
          b: { system: 'ai', entity: 'contacts' },
          direction: 'a-to-b',
          matchKey: { a: 'email', b: 'email', normalize: 'lowercase-trim' },
          aiFeed: {},
          fields: [
            { a: 'email', b: 'email', owner: 'a' },
            { a: 'first_name', b: 'first_name', owner: 'a' },
            { a: 'notes', b: 'notes', owner: 'a' },
          ],
        },
      ],
    },
  });
  expect(saved.ok).toBe(true);

  await page.goto(runtime.url);
  await page.locator('#flow-select').selectOption({ label: 'AI feed e2e' });
  await expect(page.locator('.react-flow__edge')).toHaveCount(1);
  await page.locator('.react-flow__edge').first().click({ force: true });
  await page.getByRole('tab', { name: 'Settings' }).click();
  const inspector = page.getByTestId('sync-inspector');
  await expect(inspector.getByTestId('ai-feed-toggle')).toBeChecked();
  await expect(inspector.getByTestId('ai-feed-problems')).toContainText('"email" is not classified');

  // Preflight blocks go-live and says why.
  await inspector.getByRole('button', { name: 'Preflight & go live' }).click();
  const ops = page.getByTestId('operations');
  await expect(ops.getByTestId('preflight-verdict')).toHaveText('Not ready', { timeout: 30_000 });
  await expect(ops.getByTestId('preflight-ai-feed')).toContainText('"email" is not classified');
  await expect(ops.getByTestId('go-live')).toBeDisabled();
  await ops.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('tab', { name: 'Settings' }).click();

  // Classify: the picker suggests from the name; "Suggest classes" reads samples too; the user checks.
  await expect(inspector.getByTestId('class-0')).toContainText('suggested: Email');
  await inspector.getByRole('button', { name: /^Suggest classes/ }).click();
  await expect(inspector.getByTestId('ai-feed-suggested')).toContainText('suggested 3 of 3 from their names and 3 sample records');
  await expect(inspector.getByTestId('class-0')).toHaveValue('email');
  await expect(inspector.getByTestId('class-1')).toHaveValue('person-name');
  await expect(inspector.getByTestId('class-2')).toHaveValue('free-text');
  // The user can change any of them.
  await inspector.getByTestId('class-1').selectOption('not-sensitive');
  await inspector.getByTestId('class-1').selectOption('person-name');
  await expectNoSeriousA11yIssues(page, 'the AI feed settings');
  // Classified but not masked: still blocked.
  await expect(inspector.getByTestId('ai-feed-problems')).toContainText('"email" holds email and is not masked');

  const addTransform = async (row: number, field: string, type: string) => {
    await inspector.getByRole('button', { name: `Transforms of ${field}` }).click();
    await inspector.getByRole('combobox', { name: 'Add a transform, CRM → AI feed' }).selectOption(type);
    await inspector.getByRole('button', { name: `Transforms of ${field}` }).click();
    await expect(inspector.getByTestId(`mapping-row-${row}`)).toBeVisible();
  };
  await addTransform(0, 'email', 'token');
  await addTransform(1, 'first_name', 'redact');
  await addTransform(2, 'notes', 'scan');
  await expect(inspector.getByTestId('ai-feed-ready')).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved');

  // The preview shows each original beside what the AI tool would get.
  await inspector.getByRole('button', { name: 'Preview', exact: true }).click();
  await ops.getByRole('button', { name: 'Preview samples' }).click();
  const record = ops.getByTestId('preview-ai').first();
  await expect(record).toBeVisible();
  await expect(record).toContainText('Ann.Lee@Example.com');
  await expect(record).toContainText(/tok_k1_[A-Za-z0-9_-]{43}/);
  await expect(record).toContainText('Called [phone] about her card [card]');
  await expect(record.getByTestId('preview-ai-contract')).toHaveText('Meets the contract.');
  await expect(record.getByTestId('preview-ai-findings')).toContainText('payment-card in notes');

  // Preflight passes now; go live.
  await ops.getByRole('tab', { name: 'Preflight & go live' }).click();
  await ops.getByRole('button', { name: 'Run checks again' }).click();
  await expect(ops.getByTestId('preflight-verdict')).toHaveText('Ready to go live', { timeout: 30_000 });
  await ops.getByTestId('go-live').click();
  await expect(page.getByTestId('flow-state')).toHaveText('Running');

  // The JSONL files hold one line per contact, with tokens and masked notes, and no email anywhere.
  const read = () =>
    fs.existsSync(feed)
      ? fs
          .readdirSync(feed)
          .filter((f) => f.endsWith('.jsonl'))
          .flatMap((f) => fs.readFileSync(path.join(feed, f), 'utf8').split('\n').filter(Boolean))
      : [];
  await expect.poll(() => read().length, { timeout: 30_000 }).toBe(3);
  const lines = read().map((l) => JSON.parse(l) as { key: string; fields: { email: string; first_name: unknown; notes: string } });
  const text = read().join('\n');
  for (const [email] of people) expect(text.toLowerCase()).not.toContain(email!.toLowerCase());
  expect(text).not.toContain('@');
  for (const l of lines) {
    expect(l.fields.email).toMatch(/^tok_k1_[A-Za-z0-9_-]{43}$/);
    expect(l.key).toBe(l.fields.email);
    expect(l.fields.first_name).toBeNull();
  }
  expect(lines.map((l) => l.fields.notes).sort()).toEqual(['Called [phone] about her card [card]', 'IBAN [iban] for refunds', 'Prefers email: [email]']);
});
