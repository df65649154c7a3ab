import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paragraphBlock, renderReport, tableBlock } from '../../src/report/html.js';

/**
 * A table wider than the page (long paths and SHA-256s, many columns) must scroll inside its own
 * box on screen, without widening the page, and fit the paper when printed — never be cut off.
 */
const html = renderReport({
  title: 'wide tables', generatedAt: '2025-01-01T00:00:00Z',
  sections: [{
    id: 'wide', title: 'Wide', blocks: [
      paragraphBlock('Two wide tables.'),
      tableBlock(['weights', 'seed', 'model', 'trained in', 'file', 'SHA-256'], [[
        'residual', 0, 'resnet_cifar {"depth":20,"baseWidth":8,"skip":"identity"}', 'resnet20-w8-twins-quick-fashion-mnist-n2048-t256-e4/skip-identity_seed-0',
        'resnet20-w8-twins-quick-fashion-mnist-n2048-t256-e4/skip-identity_seed-0/weights/epoch-4.safetensors', 'ab'.repeat(32),
      ]]),
      tableBlock(Array.from({ length: 16 }, (_, i) => `column ${i}`), [Array.from({ length: 16 }, (_, i) => `value ${i * 1000}`)]),
    ],
  }],
});

let browser: Browser;
let page: Page;
beforeAll(async () => {
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
  // One page for every check: this Chromium runs in a single process, which closing a page ends.
  page = await browser.newPage();
  await page.setContent(html);
}, 120_000);
afterAll(async () => browser?.close());

const measure = () => ({
  page: document.documentElement.scrollWidth,
  viewport: window.innerWidth,
  tables: [...document.querySelectorAll('.table-wrap')].map((w) => ({ box: w.clientWidth, content: w.scrollWidth, overflow: getComputedStyle(w).overflowX })),
});

describe('wide report tables', () => {
  for (const width of [1280, 480]) {
    it(`scroll inside their box at a ${width}px window, the page keeps its width`, async () => {
      await page.setViewportSize({ width, height: 800 });
      const m = await page.evaluate(measure);
      expect(m.page).toBe(m.viewport);
      for (const t of m.tables) {
        expect(t.content).toBeGreaterThan(t.box); // wider than its box…
        expect(t.overflow).toBe('auto'); // …so it scrolls there
        expect(t.box).toBeLessThanOrEqual(width);
      }
    }, 60_000);
  }

  it('fit the paper when printed: cells wrap instead of running off the page', async () => {
    await page.setViewportSize({ width: 700, height: 1000 });
    await page.emulateMedia({ media: 'print' });
    const m = await page.evaluate(measure);
    expect(m.page).toBe(m.viewport);
    for (const t of m.tables) expect(t.content).toBeLessThanOrEqual(t.box);
  }, 60_000);
});
