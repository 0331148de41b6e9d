import path from 'node:path';
import Database from 'better-sqlite3';
import type { Locator } from '@playwright/test';
import { freezeDemoContact } from './fixtures/freeze-demo-contact.js';
import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, item 9: the Dashboard, the Live panel and alerts say what is true. One CRM record breaks
 * a Billing rule while the simulator keeps the edge busy: the edge stays Healthy with the record
 * parked, the errors chart counts it once (not 12 times), a threshold that cannot be right is refused
 * saying what to enter, the alert names the systems and entities of the unnamed edge, and replaying the
 * old record does not show as lag. Then an edge idle for a minute: the Dashboard's legend shows no
 * lag rather than its last bucket's.
 */
const SYNC = 'contacts-customers';
const A_TO_B = 'Demo CRM → Demo Billing';

/** The runtime API over HTTP, as the app calls it (the token is in the URL the CLI printed). */
async function call<T>(url: string, method: string, input: unknown): Promise<T> {
  const u = new URL(url);
  const token = decodeURIComponent(u.hash.replace(/^#token=/, ''));
  const res = await fetch(new URL(`/api/call/${method}`, u.origin), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A lag as the app prints it ("230 ms", "1.2 s", "1.5 min") in ms; null for "—". */
function lagMs(text: string | null): number | null {
  const m = /([\d.,]+)\s*(ms|s|min|h)\b/.exec(text ?? '');
  if (!m) return null;
  const n = Number(m[1]!.replace(/,/g, ''));
  return n * { ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'min' | 'h'];
}

/** The number a chart's legend shows for one line (the latest point). */
async function legendValue(chart: Locator, line: string): Promise<number | null> {
  const text = await chart.locator('.chart__legend').filter({ hasText: line }).first().locator('strong').textContent({ timeout: 1000 }).catch(() => null);
  return text === null ? null : Number(text);
}

test('one failed record: Healthy with it parked, counted once, named alerts, refused bad threshold, a replay is not lag', async ({ page, runtime }) => {
  test.setTimeout(60_000);
  const crm = new Database(path.join(runtime.workspaceDir, 'data', 'crm.db'));
  const billing = new Database(path.join(runtime.workspaceDir, 'data', 'billing.db'));
  crm.pragma('busy_timeout = 5000');
  billing.pragma('busy_timeout = 5000');
  try {
    // The edge loses its name: alerts must then name its systems and entities, not its id.
    const { flow } = await call<{ flow: { syncs: Record<string, unknown>[] } }>(runtime.url, 'flows.get', { flowId: 'demo' });
    const saved = await call<{ ok: boolean }>(runtime.url, 'flows.save', { flow: { ...flow, syncs: flow.syncs.map(({ name: _name, ...s }) => s) } });
    expect(saved.ok).toBe(true);
    const aToBErrors = async () => {
      const [status] = await call<{ syncs: { syncId: string; directions: { direction: string; errors: number }[] }[] }[]>(runtime.url, 'status.get', { flowId: 'demo' });
      return status!.syncs.find((s) => s.syncId === SYNC)!.directions.find((d) => d.direction === 'a-to-b')!.errors;
    };

    await page.goto(runtime.url);
    await expect(page.getByTestId('flow-state')).toHaveText('Running');
    const errorsBefore = await aToBErrors();
    billing.exec(`CREATE TRIGGER phone_rule BEFORE UPDATE OF phone_number ON customers WHEN NEW.phone_number LIKE '%999%'
                    BEGIN SELECT RAISE(ABORT, 'phone_number is not a number we can call'); END;`);
    freezeDemoContact(crm, 3);
    const email = (crm.prepare('SELECT email FROM contacts WHERE id = 3').get() as { email: string }).email;
    crm.prepare("UPDATE contacts SET phone = '(212) 999-0103' WHERE id = 3").run();
    const failedAt = Date.now();
    const badge = page.getByTestId(`edge-dlq-${SYNC}`);
    await expect.poll(async () => Number((await badge.textContent())?.replace(/[^\d]/g, '')), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);

    // The Live panel: a record parked while the simulator's changes keep applying is not Failing.
    const panel = page.getByTestId('sync-panel');
    await expect(panel.getByTestId('sync-health')).toHaveText('Healthy');

    // The Dashboard counts the one failure as 1 in the last minute, as the runtime counted it (it once showed 12).
    await panel.getByRole('button', { name: 'Dashboard', exact: true }).click();
    const errorsChart = page.getByTestId('chart-errors');
    await expect
      .poll(
        async () => {
          const shown = await legendValue(errorsChart, A_TO_B);
          const counted = (await aToBErrors()) - errorsBefore;
          return `shows ${shown}, the runtime counted ${counted}`;
        },
        { timeout: 15_000, message: 'errors in the last minute on the Dashboard' },
      )
      .toBe('shows 1, the runtime counted 1');
    // The line too: the chart's scale tops out at 1 (12 made it 20).
    const errorScale = (await errorsChart.locator('text.chart__axis').allTextContents()).filter((t) => /^[\d.]+$/.test(t)).map(Number);
    expect(Math.max(...errorScale), `errors chart scale (${errorScale.join(', ')})`).toBe(1);

    // A negative threshold is refused next to its field, saying what to enter; nothing is saved.
    const alerts = page.getByRole('form', { name: /^Alert thresholds for / });
    await alerts.getByLabel('Errors per minute above').fill('-1');
    await alerts.getByRole('button', { name: 'Save thresholds' }).click();
    await expect(alerts.getByRole('alert')).toHaveText('Errors per minute: must be 0 or more');
    await expect(alerts.getByLabel('Errors per minute above')).toHaveAttribute('aria-invalid', 'true');
    expect((await call<Record<string, unknown>>(runtime.url, 'alerts.get', { flowId: 'demo' }))[SYNC]).toBeUndefined();

    // A DLQ threshold the parked record crosses: the alert names systems and entities, not the edge's id.
    await alerts.getByLabel('Errors per minute above').fill('');
    await alerts.getByLabel('DLQ depth above').fill('0');
    await alerts.getByRole('button', { name: 'Save thresholds' }).click();
    await expect(alerts.getByRole('button', { name: 'Saved' })).toBeVisible();
    const alert = page.getByTestId('dashboard-alert').filter({ hasText: 'in the DLQ' });
    await expect(alert).toContainText(/^Demo CRM contacts ↔ Demo Billing customers: (1 change|[2-9]\d* changes) in the DLQ \(alert above 0\)$/, { timeout: 15_000 });
    await expect(alert).not.toContainText(SYNC);

    // Replay the record once it is old: its age is not lag.
    billing.exec('DROP TRIGGER phone_rule');
    await page.waitForTimeout(Math.max(0, failedAt + 8_000 - Date.now()));
    const ops = page.getByTestId('operations');
    await ops.getByRole('tab', { name: 'Dead-letter queue' }).click();
    const dlq = page.getByTestId('dlq-inspector');
    await dlq.getByTestId('dlq-row').filter({ hasText: /contacts 3(?!\d)/ }).first().click();
    await page.getByTestId('dlq-detail').getByRole('button', { name: 'Replay', exact: true }).click();
    await expect(dlq.getByRole('status')).toContainText(/Replayed 1 change/);
    await expect.poll(() => billing.prepare('SELECT phone_number FROM customers WHERE lower(contact_email) = lower(?)').pluck().get(email), { timeout: 15_000 }).toBe('+12129990103');
    const replayedAt = Date.now();

    // The Live panel's p99 over the last minute, a status refresh after the replay applied.
    await ops.getByRole('button', { name: 'Close' }).click();
    const p99 = panel.getByTestId('stat-a-to-b-lag-p99');
    await page.waitForTimeout(Math.max(0, replayedAt + 2_500 - Date.now()));
    expect(lagMs(await p99.textContent()), 'Live lag p99 after the replay').toBeLessThan(4_000);

    // The Dashboard's lag chart once the store holds the replay's 5-second bucket (written on the next
    // flush): its scale stays below the replay's age.
    await expect
      .poll(async () => (await call<{ t: number }[]>(runtime.url, 'metrics.series', { flowId: 'demo', syncId: SYNC, direction: 'a-to-b', sinceMs: 60_000 })).some((pt) => pt.t > replayedAt), { timeout: 15_000 })
      .toBe(true);
    await panel.getByRole('button', { name: 'Dashboard', exact: true }).click();
    const lagChart = page.getByTestId('chart-lag');
    await expect(lagChart.locator('path').first()).toHaveAttribute('d', /M/);
    const axis = await lagChart.locator('text.chart__axis').allTextContents();
    const top = Math.max(...axis.map(lagMs).filter((v): v is number => v !== null));
    expect(top, `lag chart scale (${axis.join(', ')})`).toBeLessThan(5_000);
  } finally {
    crm.close();
    billing.close();
  }
});

test('an edge idle for a minute: the Dashboard shows no lag and no rate, not its last bucket', async ({ page, runtime }) => {
  test.setTimeout(60_000);
  // The page's clock runs as usual until it is moved forward: a minute of idleness without waiting it out.
  await page.clock.install();
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toHaveText('Running');
  const panel = page.getByTestId('sync-panel');
  await expect(panel.getByTestId('stat-a-to-b-lag-p99')).toHaveText(/\d/, { timeout: 15_000 });
  await page.getByRole('button', { name: 'Stop flow' }).click();
  await expect(page.getByTestId('flow-state')).toHaveText('Stopped');

  await panel.getByRole('button', { name: 'Dashboard', exact: true }).click();
  const lag = page.getByTestId('chart-lag').locator('.chart__legend').filter({ hasText: `${A_TO_B} p99` });
  await expect(lag.locator('strong')).toHaveText(/\d/);
  // Nothing is applied for a minute: the legend has no lag to report (it once kept the last bucket's).
  await page.clock.fastForward(65_000);
  await expect(lag).toContainText('—');
  await expect(lag.locator('strong')).toHaveCount(0);
  await expect(page.getByTestId('chart-events').locator('.chart__legend').filter({ hasText: A_TO_B }).locator('strong')).toHaveText('0');
  // The line itself still shows the history in the window.
  await expect(page.getByTestId('chart-lag').locator('path').first()).toHaveAttribute('d', /M/);
});
