/**
 * The built lab on a plain static host: `npm run build:web`'s output copied under a sub-path
 * (`/lab/`) of a server that sends no special headers. With service workers allowed, the page
 * makes itself cross-origin isolated through its own (web/src/coi-sw.ts) and trains on every core;
 * without them it says why it stays on one thread per run, and still works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labState, openLabBrowser, serveLabSite, waitForRuns, type LabBrowser, type LabSite } from '../helpers/lab-browser.js';

interface LabView {
  isolation: { isolated: boolean; reason?: string } | null;
  checks: { outcome: string }[] | null;
  errors: string[];
  speed: { threads: number[]; median: number[]; matrixGflops: number[]; parallel: ({ serialFraction: number; amdahlBound: number; workerTaskShare: number } | null)[] } | null;
  runs: { threads: number; step: number; backend: string }[];
}

let site: LabSite;
let url: string;

beforeAll(async () => {
  site = await serveLabSite({ prefix: 'lab', isolationHeaders: false });
  url = site.serverUrl;
}, 180_000);

afterAll(() => site?.close());

async function runVanishingPreset(lab: LabBrowser): Promise<LabView> {
  await waitForRuns(lab.page, 'r.ready', 120_000, 3);
  await lab.page.click('#start');
  await lab.page.waitForFunction(() => {
    const state = (window as unknown as { skiplabLab: { checks: unknown; errors: string[] } }).skiplabLab;
    return state.checks !== null || state.errors.length > 0;
  }, null, { timeout: 300_000, polling: 500 });
  return labState<LabView>(lab.page);
}

describe('the lab on a plain static host under /lab/', () => {
  it('sends no isolation headers, and redirects /lab to /lab/', async () => {
    const response = await fetch(`${url}lab/index.html`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cross-origin-embedder-policy')).toBeNull();
    const redirect = await fetch(`${url}lab`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/lab/');
  });

  it('isolates itself through its service worker, trains on every core and reaches a verdict', { timeout: 600_000 }, async () => {
    const lab = await openLabBrowser();
    try {
      await lab.page.goto(`${url}lab/?preset=vanishing-gradients&seed=1`);
      // The first load registers the service worker and reloads once through it.
      await lab.page.waitForFunction(() => (window as unknown as { skiplabLab?: { isolation: unknown } }).skiplabLab?.isolation != null, null, { timeout: 60_000 });
      expect(await lab.page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(await lab.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${url}lab/coi-sw.js`);
      expect(await lab.page.textContent('#threads')).toMatch(/^Cross-origin isolated/);
      const view = await runVanishingPreset(lab);
      expect(view.errors).toEqual([]);
      expect(view.checks!.map((c) => c.outcome)).toEqual(['supported', 'supported']);

      // One run alone gets every core: the wasm backend's threads (SharedArrayBuffer) in the page.
      await lab.page.goto(`${url}lab/?data=mnist&arch=resnet&depth=8&width=4&seed=3&steps=20&twin=0`);
      await waitForRuns(lab.page, 'r.ready', 120_000, 1);
      const cores = await lab.page.evaluate(() => navigator.hardwareConcurrency);
      expect((await labState<LabView>(lab.page)).runs[0]!.threads).toBe(cores);
      await lab.page.click('#start');
      await waitForRuns(lab.page, 'r.step === 20 && !r.running', 240_000);
      expect(await lab.page.textContent('[data-run="0"] .run-meta')).toContain(`wasm × ${cores} threads`);
      await lab.page.click('#speed');
      await lab.page.waitForFunction(() => (window as unknown as { skiplabLab: { speed: unknown; errors: string[] } }).skiplabLab.speed !== null || (window as unknown as { skiplabLab: { errors: string[] } }).skiplabLab.errors.length > 0, null, { timeout: 240_000 });
      const after = await labState<LabView>(lab.page);
      expect(after.errors).toEqual([]);
      expect(after.speed!.threads).toEqual([1, cores]);
      expect(after.speed!.median.every((v) => v > 0)).toBe(true);
      // The pool's counters: none for the unthreaded backend; on every core a serial fraction in
      // (0, 1) whose Amdahl bound lies between 1 and the thread count.
      const [unthreaded, threaded] = after.speed!.parallel;
      expect(unthreaded).toBeNull();
      expect(threaded!.serialFraction).toBeGreaterThan(0);
      expect(threaded!.serialFraction).toBeLessThan(1);
      expect(threaded!.amdahlBound).toBeGreaterThan(1);
      expect(threaded!.amdahlBound).toBeLessThanOrEqual(cores);
      // The machine's reference: a large matrix product on the same two backends, at a plausible rate.
      expect(after.speed!.matrixGflops).toHaveLength(2);
      for (const gflops of after.speed!.matrixGflops) expect(gflops).toBeGreaterThan(0.5);
      const text = await lab.page.textContent('#speed-result');
      expect(text).toMatch(/steps\/s on 1 thread, [\d.]+ on \d/);
      expect(text).toMatch(/matrix product alone: [\d.]+ GFLOP\/s on 1 thread, [\d.]+ on \d \(×[\d.]+\)/);
      expect(lab.consoleErrors).toEqual([]);
    } finally {
      await lab.close();
    }
  });

  it('without service workers stays on one thread per run, says why, and still works', { timeout: 600_000 }, async () => {
    const lab = await openLabBrowser({ serviceWorkers: 'block' });
    try {
      await lab.page.goto(`${url}lab/?preset=vanishing-gradients&seed=1`);
      await lab.page.waitForFunction(() => (window as unknown as { skiplabLab?: { isolation: unknown } }).skiplabLab?.isolation != null, null, { timeout: 60_000 });
      expect(await lab.page.evaluate(() => crossOriginIsolated)).toBe(false);
      expect(await lab.page.textContent('#threads')).toMatch(/^One thread per run: /);
      const view = await runVanishingPreset(lab);
      expect(view.isolation!.isolated).toBe(false);
      expect(view.runs.every((r) => r.threads === 1 && r.backend === 'wasm')).toBe(true);
      expect(view.errors).toEqual([]);
      expect(view.checks!.map((c) => c.outcome)).toEqual(['supported', 'supported']);
      await lab.page.click('#speed');
      expect(await lab.page.textContent('#notice')).toMatch(/^Only one thread is available here/);
    } finally {
      await lab.close();
    }
  });
});
