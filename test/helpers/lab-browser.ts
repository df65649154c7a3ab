/**
 * Headless Chromium (from @sparticuz/chromium, so no system browser is needed) driving the built
 * browser lab, for the tests under test/web/.
 */
import chromium from '@sparticuz/chromium';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium as playwright, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.js';
import { serveDirectory, type ServeOptions } from '../../scripts/serve-web.js';

const root = resolve(import.meta.dirname, '../..');

export interface LabSite {
  /** The page's URL (ends in '/'). */
  url: string;
  /** The server's root URL (the page's without the prefix). */
  serverUrl: string;
  close(): void;
}

/**
 * The lab built into a directory of its own (test files run at once, and one must not serve a
 * bundle another is rewriting) under `prefix`, and served. The data assets, the slow part of a
 * build, are made once in dist/web/data and copied.
 */
export async function serveLabSite(options: ServeOptions & { prefix?: string } = {}): Promise<LabSite> {
  const dataFrom = resolve(await buildWeb({ outDir: resolve(root, 'dist/web'), reuseData: true, dataOnly: true }), 'data');
  const site = mkdtempSync(join(tmpdir(), 'skiplab-site-'));
  const outDir = join(site, options.prefix ?? '');
  mkdirSync(outDir, { recursive: true });
  cpSync(dataFrom, join(outDir, 'data'), { recursive: true });
  await buildWeb({ outDir, reuseData: true });
  const { server, url }: { server: Server; url: string } = await serveDirectory(site, options);
  return {
    url: `${url}${options.prefix ? `${options.prefix}/` : ''}`,
    serverUrl: url,
    close() {
      server.close();
      rmSync(site, { recursive: true, force: true });
    },
  };
}

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
