/**
 * Headless Chromium (from @sparticuz/chromium, so no system browser is needed) driving the built
 * browser lab, for the tests under test/web/.
 */
import chromium from '@sparticuz/chromium';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium as playwright, type BrowserContext, type Page } from 'playwright-core';

export interface LabBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function openLabBrowser(options: { width?: number; height?: number; serviceWorkers?: 'allow' | 'block' } = {}): Promise<LabBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'skiplab-lab-'));
  const context = await playwright.launchPersistentContext(userDataDir, {
    executablePath: await chromium.executablePath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: options.width ?? 1280, height: options.height ?? 1000 },
    acceptDownloads: true,
    serviceWorkers: options.serviceWorkers ?? 'allow',
  });
  const page = context.pages()[0] ?? await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return {
    context, page, consoleErrors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The page's state as plain data (`window.skiplabLab`, workers and DOM nodes left out). */
export function labState<T>(page: Page): Promise<T> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { skiplabLab: unknown }).skiplabLab, (k, v) => (k === 'worker' || k === 'card' ? undefined : v))));
}

/** Wait until every run satisfies `predicate` (a JavaScript expression over `r`). */
export async function waitForRuns(page: Page, predicate: string, timeout: number, count?: number): Promise<void> {
  await page.waitForFunction(
    `(() => { const runs = window.skiplabLab.runs; return runs.length > 0 ${count ? `&& runs.length === ${count}` : ''} && runs.every((r) => ${predicate}); })()`,
    null, { timeout, polling: 250 },
  );
}
