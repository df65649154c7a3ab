/**
 * Every guided experiment of the browser lab, end to end in real headless Chromium: open its
 * link, run it to its verdict, and check that the verdict — computed in the page from the runs'
 * numbers — supports the seed claim for the shipped settings (they were chosen by measuring so
 * that it does; web/README.md records the outcomes). One browser session runs them in turn; the
 * time each took is written to test-artifacts/web-presets.json, the page to screenshots.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presets } from '../../web/src/presets.js';
import { labState, openLabBrowser, serveLabSite, waitForRuns, type LabBrowser, type LabSite } from '../helpers/lab-browser.js';

const root = resolve(import.meta.dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');

interface CheckView {
  claim: string;
  measured: string;
  outcome: string;
  undecided?: string;
}
interface LabView {
  checks: CheckView[] | null;
  errors: string[];
  runs: { label: string; threads: number; step: number; settings: { maxSteps: number } }[];
}

let site: LabSite;
let url: string;
let lab: LabBrowser;
const timings: Record<string, { seconds: number; outcomes: string[]; measured: string[] }> = {};

beforeAll(async () => {
  site = await serveLabSite();
  url = site.url;
  lab = await openLabBrowser();
  mkdirSync(artifacts, { recursive: true });
}, 180_000);

afterAll(async () => {
  writeFileSync(join(artifacts, 'web-presets.json'), `${JSON.stringify(timings, null, 2)}\n`);
  await lab?.close();
  site?.close();
});

describe('guided experiments in the browser lab', () => {
  for (const preset of presets(1)) {
    it(`${preset.id}: runs to a verdict that supports the claim, or says why its setting cannot decide it`, { timeout: 900_000 }, async () => {
      const { page } = lab;
      await page.goto(`${url}?preset=${preset.id}&seed=1`);
      await waitForRuns(page, 'r.ready', 120_000, preset.runs.length);
      expect(await page.textContent('#preset-title')).toBe(preset.title);
      expect(await page.textContent('#verdict')).toContain('Press');
      const started = Date.now();
      await page.click('#start');
      await page.waitForFunction(() => {
        const lab = (window as unknown as { skiplabLab: { checks: unknown; errors: string[] } }).skiplabLab;
        return lab.checks !== null || lab.errors.length > 0;
      }, null, { timeout: 840_000, polling: 500 }).catch(async (error: Error) => {
        // Say how far each run got: a slow machine and a stuck run look alike otherwise.
        const runs = (await labState<LabView>(page)).runs.map((r) => `${r.label} at step ${r.step} of ${r.settings.maxSteps}`);
        throw new Error(`${error.message}\n${preset.id}: ${runs.join(', ')}`);
      });
      const seconds = (Date.now() - started) / 1000;
      const view = await labState<LabView>(page);
      expect(view.errors).toEqual([]);
      expect(view.runs.every((r) => r.step === r.settings.maxSteps)).toBe(true);
      const checks = view.checks!;
      timings[preset.id] = { seconds, outcomes: checks.map((c) => c.outcome), measured: checks.map((c) => c.measured) };
      expect(checks.length).toBeGreaterThan(0);
      // A check the shipped setting cannot decide says so and stays inconclusive (only the landscape's: depth 20 < Li et al.'s 56).
      expect(checks.some((c) => c.undecided !== undefined)).toBe(preset.id === 'landscape');
      for (const c of checks) expect(c.outcome, `${c.claim}\n${c.measured}`).toBe(c.undecided ? 'inconclusive' : 'supported');
      // The page shows the verdict and the numbers it came from.
      expect(await page.getAttribute('.verdict-head', 'data-outcome')).toBe(checks.some((c) => c.undecided) ? 'inconclusive' : 'supported');
      expect(await page.$$eval('.checks li', (items) => items.map((i) => i.textContent))).toEqual(checks.map((c) => expect.stringContaining(c.measured)));
      if (preset.measure) expect(await page.$$eval('#preset-figures svg path, #preset-figures svg rect.heat', (n) => n.length)).toBeGreaterThan(0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(artifacts, `web-preset-${preset.id}-1280.png`), fullPage: true });
      if (preset.id === 'lesion') {
        await page.setViewportSize({ width: 375, height: 800 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
        await page.screenshot({ path: join(artifacts, `web-preset-${preset.id}-375.png`), fullPage: true });
        await page.setViewportSize({ width: 1280, height: 1000 });
      }
      expect(lab.consoleErrors).toEqual([]);
    });
  }
});
