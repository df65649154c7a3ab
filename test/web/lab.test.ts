/**
 * The browser lab end to end (issue 10): build the page, serve it on 127.0.0.1 and drive it in
 * real headless Chromium (from @sparticuz/chromium, so no system browser is needed). A small
 * residual net and its plain twin train side by side on the wasm backend; the curves, gradient
 * bars, lesion, landscape slice, export and import must all work without a console error.
 */
import chromium from '@sparticuz/chromium';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium as playwright, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../../scripts/build-web.js';
import { serveDirectory } from '../../scripts/serve-web.js';
import { encodeSafetensors } from '../../src/io/safetensors-codec.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

const root = resolve(import.meta.dirname, '../..');
const STEPS = 300;

interface RunView {
  key: string;
  ready: boolean;
  running: boolean;
  step: number;
  backend: string;
  stepsPerSecond: number;
  gradientNorms: number[];
  gradientUpdates: number;
  accuracy: [number, number][];
  train: [number, number][];
  model: { title: string; lesionable: string[] } | null;
  lesion: { block: string; baselineAccuracy: number; lesionedAccuracy: number } | null;
  landscape: { alphas: number[]; losses: number[] } | null;
}

let server: Server;
let url: string;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const consoleErrors: string[] = [];

const runs = (): Promise<RunView[]> => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { skiplabLab: { runs: unknown[] } }).skiplabLab.runs, (k, v) => (k === 'worker' || k === 'card' ? undefined : v))));
const pageErrors = (): Promise<string[]> => page.evaluate(() => [...(window as unknown as { skiplabLab: { errors: string[] } }).skiplabLab.errors]);
const barValues = (run: string): Promise<number[]> => page.$$eval(`[data-run=${run}] svg.gradients rect.bar`, (bars) => bars.map((b) => Number(b.getAttribute('data-value'))));
const curvePoints = (): Promise<number[]> => page.$$eval('#loss-chart path.series, #accuracy-chart path.series', (paths) => paths.map((p) => Number(p.getAttribute('data-points'))));

async function waitForRuns(predicate: string, timeout: number): Promise<void> {
  await page.waitForFunction(`(() => { const runs = window.skiplabLab.runs; return runs.length === 2 && runs.every((r) => ${predicate}); })()`, null, { timeout, polling: 250 });
}

beforeAll(async () => {
  const outDir = resolve(root, 'dist/web');
  await buildWeb({ outDir, reuseData: true });
  ({ server, url } = await serveDirectory(outDir));
  userDataDir = mkdtempSync(join(tmpdir(), 'skiplab-lab-'));
  context = await playwright.launchPersistentContext(userDataDir, {
    executablePath: await chromium.executablePath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.goto(url);
});

afterAll(async () => {
  await context?.close();
  server?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

describe('browser lab', () => {
  it('trains a residual net and its plain twin, and dissects them', { timeout: 240_000 }, async () => {
    await page.selectOption('#dataset', 'mnist');
    await page.selectOption('#architecture', 'resnet');
    await page.selectOption('#depth', '8');
    await page.fill('#width', '8');
    await page.selectOption('#optimizer', 'adam');
    await page.fill('#learning-rate', '0.003');
    await page.fill('#batch-size', '32');
    await page.fill('#seed', '7');
    await page.fill('#max-steps', String(STEPS));
    await page.press('#max-steps', 'Tab');
    await page.check('#compare');
    await waitForRuns(`r.ready && r.settings.maxSteps === ${STEPS} && r.settings.width === 8 && r.settings.depth === 8`, 60_000);

    let state = await runs();
    expect(state.map((r) => r.model?.title)).toEqual(['ResNet-8 with skips', 'plain ResNet-8']);
    expect(state.every((r) => r.backend === 'wasm')).toBe(true);
    expect(state.every((r) => r.gradientNorms.length === 0 && r.step === 0)).toBe(true);
    const initialPoints = await curvePoints();

    await page.click('#start');
    await waitForRuns('r.step >= 50 && r.accuracy.length >= 2', 120_000);
    const earlyBars = await barValues('main');
    const earlyPoints = await curvePoints();
    expect(earlyBars.length).toBeGreaterThan(4);
    expect(earlyBars.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    expect(earlyPoints.reduce((a, b) => a + b, 0)).toBeGreaterThan(initialPoints.reduce((a, b) => a + b, 0));

    await waitForRuns(`r.step === ${STEPS} && !r.running && r.accuracy.at(-1)[0] === ${STEPS}`, 180_000);
    state = await runs();
    const lateBars = await barValues('main');
    expect(lateBars).not.toEqual(earlyBars); // the bars follow training
    expect((await curvePoints()).reduce((a, b) => a + b, 0)).toBeGreaterThan(earlyPoints.reduce((a, b) => a + b, 0));
    const [main, twin] = state as [RunView, RunView];
    expect(main.accuracy.at(-1)![1]).toBeGreaterThan(0.8);
    expect(twin.accuracy.at(-1)![1]).toBeGreaterThan(0.3);
    expect(main.train.at(-1)![1]).toBeLessThan(main.train[0]![1]);
    expect(main.stepsPerSecond).toBeGreaterThan(0);
    expect(await page.textContent('[data-run=main] .readout-speed')).toMatch(/^\d+(\.\d)?$/);

    // Lesion: delete a block of each net and read the accuracy change from the page.
    for (const run of ['main', 'twin']) {
      expect(await page.$$eval(`[data-run=${run}] .lesion-block option`, (o) => o.length)).toBeGreaterThan(0);
      await page.click(`[data-run=${run}] .lesion-button`);
    }
    await waitForRuns('r.lesion !== null', 60_000);
    state = await runs();
    for (const run of state) {
      expect(run.lesion!.baselineAccuracy).toBeCloseTo(run.accuracy.at(-1)![1], 10);
      expect(run.lesion!.lesionedAccuracy).not.toBe(run.lesion!.baselineAccuracy);
    }
    expect(await page.textContent('[data-run=main] .lesion-result')).toContain(`Without ${state[0]!.lesion!.block}`);
    expect(await page.$$eval('[data-run=main] .diagram-box.lesioned', (b) => b.length)).toBe(1);
    expect(await page.$$eval('[data-run=main] path.skip-edge.kind-identity', (e) => e.length)).toBeGreaterThan(0);
    expect(await page.$$eval('[data-run=twin] path.skip-edge.kind-none', (e) => e.length)).toBe(3);

    // A 1-D landscape slice: a trained minimum sits below both ends of the slice.
    await page.click('#landscape');
    await waitForRuns('r.landscape !== null', 60_000);
    for (const { landscape } of await runs()) {
      expect(landscape!.losses).toHaveLength(21);
      expect(landscape!.losses.every(Number.isFinite)).toBe(true);
      expect(landscape!.losses[10]!).toBeLessThan(Math.min(landscape!.losses[0]!, landscape!.losses[20]!));
    }
    mkdirSync(resolve(root, 'test-artifacts'), { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(root, 'test-artifacts/web-lab.png'), fullPage: true });

    // Export the residual net; importing the file into the other run rebuilds the same model.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-run=main] .export-button')]);
    const exported = join(userDataDir, 'exported.safetensors');
    await download.saveAs(exported);
    expect(readFileSync(exported).length).toBeGreaterThan(1000);
    await page.setInputFiles('[data-run=twin] .import-input', exported);
    await page.waitForFunction(() => document.getElementById('notice')!.textContent!.startsWith('Imported'), null, { timeout: 30_000 });
    const beforeImport = state;
    state = await runs();
    expect(state[1]!.model!.title).toBe('ResNet-8 with skips');
    await page.waitForFunction(() => (window as unknown as { skiplabLab: { runs: RunView[] } }).skiplabLab.runs[1]!.accuracy.length > 0, null, { timeout: 30_000 });
    expect((await runs())[1]!.accuracy.at(-1)![1]).toBeCloseTo(beforeImport[0]!.lesion!.baselineAccuracy, 10);

    // A `skiplab train` checkpoint: state dict under `model.`, optimiser buffers under `optimizer.`.
    const cliModel = createModel('resnet_cifar', { depth: 8, baseWidth: 8, inChannels: 1, rng: new Rng(3) });
    const tensors: Record<string, Tensor> = { 'optimizer.momentum.0': new Tensor(new Float32Array(4), [4]) };
    for (const [name, t] of Object.entries(cliModel.stateDict())) tensors[`model.${name}`] = t;
    const checkpoint = join(userDataDir, 'checkpoint.safetensors');
    writeFileSync(checkpoint, encodeSafetensors(tensors));
    await page.setInputFiles('[data-run=main] .import-input', checkpoint);
    await page.waitForFunction(() => /Imported \d+ tensors from checkpoint/.test(document.getElementById('notice')!.textContent!), null, { timeout: 30_000 });
    expect(await page.textContent('#notice')).toContain(`Imported ${Object.keys(cliModel.stateDict()).length} tensors`);

    expect(await pageErrors()).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
