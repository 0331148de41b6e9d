import { expect, test } from './fixtures/runtime.js';

/**
 * Issue 15, item 4: with the sync settings open, scrolling over the palette used to scroll the whole
 * page: the header (Start/Stop, error banners) moved out of view and a grey strip showed at the bottom.
 * Only the panels scroll; the page itself never does.
 */
test('the page never scrolls away: panels scroll, the header stays', async ({ page, runtime }) => {
  await page.goto(runtime.url);
  await expect(page.getByTestId('flow-state')).toBeVisible();
  await page.getByTestId('edge-label-contacts-customers').click({ position: { x: 20, y: 10 } });
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(page.getByTestId('sync-inspector')).toBeVisible();
  for (const target of [page.getByTestId('palette-sqlite'), page.getByTestId('sync-inspector'), page.getByTestId('canvas-drop-zone')]) {
    await target.hover();
    for (let i = 0; i < 8; i++) await page.mouse.wheel(0, 400);
  }
  await page.keyboard.press('End');
  // A string: the e2e specs compile without the DOM library.
  const scroll = (await page.evaluate(
    '({ y: window.scrollY, root: document.scrollingElement?.scrollTop ?? 0, bodyOverflow: document.body.scrollHeight - window.innerHeight, pageOverflow: document.documentElement.scrollHeight - window.innerHeight })',
  )) as { y: number; root: number; bodyOverflow: number; pageOverflow: number };
  expect(scroll.y).toBe(0);
  expect(scroll.root).toBe(0);
  expect(scroll.bodyOverflow, 'the page is exactly as tall as the window').toBeLessThanOrEqual(0);
  // Visually hidden labels deep in a scrolled panel once made the document taller than the window.
  expect(scroll.pageOverflow, 'nothing placed outside the panels makes the document taller').toBeLessThanOrEqual(0);
  await expect(page.getByTestId('flow-state')).toBeInViewport();
});
