/**
 * The browser lab's free mode end to end: the page built and served (with the cross-origin
 * isolation headers `npm run web` sends), opened from a shareable link, driven in real headless
 * Chromium. A small residual net and its plain twin train side by side on the wasm backend; the
 * curves, gradient bars, lesion, landscape slice, export, import and the copied link must all work
 * without a console error, the controls from the keyboard, and the page at 1280 and 375 px wide.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSafetensors } from '../../src/io/safetensors-codec.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { presets } from '../../web/src/presets.js';
import { labState, openLabBrowser, serveLabSite, waitForRuns, type LabBrowser, type LabSite } from '../helpers/lab-browser.js';

const root = resolve(import.meta.dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');
const STEPS = 100;
const LINK = `?data=mnist&arch=resnet&depth=8&width=8&skip=identity&bn=1&opt=adam&lr=0.003&batch=32&seed=7&steps=${STEPS}&twin=1`;

interface RunView {
  label: string;
  ready: boolean;
  running: boolean;
  step: number;
  backend: string;
  threads: number;
  stepsPerSecond: number;
  gradientNorms: number[];
  accuracy: [number, number][];
  train: [number, number][];
  settings: { seed: number; depth: number; maxSteps: number };
  model: { title: string; lesionable: string[] } | null;
  lesion: { block: string; baselineAccuracy: number; lesionedAccuracy: number } | null;
  landscape: { alphas: number[]; losses: number[] } | null;
}
interface LabView {
  runs: RunView[];
  errors: string[];
  isolation: { isolated: boolean };
}

let site: LabSite;
let url: string;
let lab: LabBrowser;
const state = (): Promise<LabView> => labState<LabView>(lab.page);
const barValues = (run: number): Promise<number[]> => lab.page.$$eval(`[data-run="${run}"] svg.gradients rect.bar`, (bars) => bars.map((b) => Number(b.getAttribute('data-value'))));
const curvePoints = (): Promise<number> => lab.page.$$eval('#loss-chart path.series, #accuracy-chart path.series', (paths) => paths.reduce((s, p) => s + Number(p.getAttribute('data-points')), 0));

beforeAll(async () => {
  site = await serveLabSite();
  url = site.url;
  lab = await openLabBrowser();
  await lab.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  mkdirSync(artifacts, { recursive: true });
}, 180_000);

afterAll(async () => {
  await lab?.close();
  site?.close();
});

describe('browser lab, free mode', () => {
  it('opens a shared link, trains a residual net beside its plain twin, and dissects them', { timeout: 300_000 }, async () => {
    const { page } = lab;
    await page.goto(`${url}${LINK}`);
    await waitForRuns(page, `r.ready && r.settings.maxSteps === ${STEPS}`, 90_000, 2);
    let view = await state();
    expect(view.isolation.isolated).toBe(true);
    expect(view.runs.map((r) => r.model?.title)).toEqual(['ResNet-8', 'plain ResNet-8']);
    expect(view.runs.every((r) => r.backend === 'wasm' && r.settings.seed === 7)).toBe(true);
    // Two runs on this 2-core machine: one thread each (threads are shared out between runs).
    expect(view.runs.map((r) => r.threads)).toEqual([1, 1]);
    expect(await page.inputValue('#seed')).toBe('7');
    expect(await page.inputValue('#depth')).toBe('8');
    const initialPoints = await curvePoints();

    await page.click('#start');
    await waitForRuns(page, 'r.step >= 50 && r.accuracy.length >= 2', 120_000);
    const earlyBars = await barValues(0);
    const earlyPoints = await curvePoints();
    expect(earlyBars.length).toBeGreaterThan(4);
    expect(earlyBars.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    expect(earlyPoints).toBeGreaterThan(initialPoints);

    await waitForRuns(page, `r.step === ${STEPS} && !r.running && r.accuracy.at(-1)[0] === ${STEPS}`, 240_000);
    view = await state();
    expect(await barValues(0)).not.toEqual(earlyBars); // the bars follow training
    expect(await curvePoints()).toBeGreaterThan(earlyPoints);
    const [main, twin] = view.runs as [RunView, RunView];
    expect(main.accuracy.at(-1)![1]).toBeGreaterThan(0.6);
    expect(twin.accuracy.at(-1)![1]).toBeGreaterThan(0.3);
    expect(main.train.at(-1)![1]).toBeLessThan(main.train[0]![1]);
    expect(await page.textContent('[data-run="0"] .readout-speed')).toMatch(/^\d+(\.\d)?$/);
    expect(await page.textContent('#start')).toBe('Finished');

    // Lesion: delete a block of each net and read the accuracy change from the page.
    for (const run of [0, 1]) await page.click(`[data-run="${run}"] .lesion-button`);
    await waitForRuns(page, 'r.lesion !== null', 180_000);
    view = await state();
    for (const run of view.runs) {
      expect(run.lesion!.baselineAccuracy).toBeCloseTo(run.accuracy.at(-1)![1], 10);
      expect(run.lesion!.lesionedAccuracy).not.toBe(run.lesion!.baselineAccuracy);
    }
    expect(await page.textContent('[data-run="0"] .lesion-result')).toContain(`Without ${view.runs[0]!.lesion!.block}`);
    expect(await page.$$eval('[data-run="0"] .diagram-box.lesioned', (b) => b.length)).toBe(1);
    expect(await page.$$eval('[data-run="0"] path.skip-edge.kind-identity', (e) => e.length)).toBeGreaterThan(0);
    expect(await page.$$eval('[data-run="1"] path.skip-edge.kind-none', (e) => e.length)).toBe(3);

    // A 1-D landscape slice: a trained minimum sits below both ends of the slice.
    await page.click('#landscape');
    await waitForRuns(page, 'r.landscape !== null', 180_000);
    for (const { landscape } of (await state()).runs) {
      expect(landscape!.losses).toHaveLength(21);
      expect(landscape!.losses.every(Number.isFinite)).toBe(true);
      expect(landscape!.losses[10]!).toBeLessThan(Math.min(landscape!.losses[0]!, landscape!.losses[20]!));
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, 'web-lab-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    // Nothing may stick out sideways on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(artifacts, 'web-lab-375.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 1000 });

    // Export the residual net; importing the file into the other run rebuilds the same model.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-run="0"] .export-button')]);
    const exported = join(artifacts, 'web-lab-export.safetensors');
    await download.saveAs(exported);
    expect(readFileSync(exported).length).toBeGreaterThan(1000);
    await page.setInputFiles('[data-run="1"] .import-input', exported);
    await page.waitForFunction(() => document.getElementById('notice')!.textContent!.startsWith('Imported'), null, { timeout: 30_000 });
    await page.waitForFunction(() => (window as unknown as { skiplabLab: { runs: RunView[] } }).skiplabLab.runs[1]!.accuracy.length > 0, null, { timeout: 30_000 });
    view = await state();
    expect(view.runs[1]!.model!.title).toBe('ResNet-8');
    expect(view.runs[1]!.accuracy.at(-1)![1]).toBeCloseTo(view.runs[0]!.lesion!.baselineAccuracy, 10);

    // A `skiplab train` checkpoint: state dict under `model.`, optimiser buffers under `optimizer.`.
    const cliModel = createModel('resnet_cifar', { depth: 8, baseWidth: 8, inChannels: 1, rng: new Rng(3) });
    const tensors: Record<string, Tensor> = { 'optimizer.momentum.0': new Tensor(new Float32Array(4), [4]) };
    for (const [name, t] of Object.entries(cliModel.stateDict())) tensors[`model.${name}`] = t;
    const checkpoint = join(artifacts, 'web-lab-checkpoint.safetensors');
    writeFileSync(checkpoint, encodeSafetensors(tensors));
    await page.setInputFiles('[data-run="0"] .import-input', checkpoint);
    await page.waitForFunction(() => /Imported \d+ tensors from web-lab-checkpoint/.test(document.getElementById('notice')!.textContent!), null, { timeout: 30_000 });
    expect(await page.textContent('#notice')).toContain(`Imported ${Object.keys(cliModel.stateDict()).length} tensors`);

    expect((await state()).errors).toEqual([]);
    expect(lab.consoleErrors).toEqual([]);
  });

  it('copies a link that reproduces the session, and works from the keyboard', { timeout: 120_000 }, async () => {
    const { page } = lab;
    await page.goto(`${url}${LINK}`);
    await waitForRuns(page, 'r.ready', 60_000, 2);
    await page.click('#copy-link');
    await page.waitForFunction(() => document.getElementById('notice')!.textContent!.startsWith('Link copied'), null, { timeout: 10_000 });
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(new URL(copied).search).toBe(new URL(`${url}${LINK}`).search);

    // Keyboard only: the free lab folds and unfolds (a free link opens it unfolded), the depth
    // changes with the arrow keys and rebuilds the runs; then a preset is picked.
    const freeLabOpen = (): Promise<boolean> => page.evaluate(() => (document.getElementById('free-lab') as HTMLDetailsElement).open);
    expect(await freeLabOpen()).toBe(true);
    await page.focus('#free-lab summary');
    await page.keyboard.press('Enter');
    expect(await freeLabOpen()).toBe(false);
    await page.keyboard.press('Enter');
    expect(await freeLabOpen()).toBe(true);
    await page.focus('#depth');
    await page.keyboard.press('ArrowDown'); // 8 → 14
    await waitForRuns(page, 'r.ready && r.settings.depth === 14', 60_000, 2);
    expect(new URL(page.url()).searchParams.get('depth')).toBe('14');
    await page.focus('.preset-button[data-preset="highway"]');
    await page.keyboard.press('Enter');
    await waitForRuns(page, 'r.ready && r.settings.depth === 50', 60_000, 2);
    expect(await page.getAttribute('.preset-button[data-preset="highway"]', 'aria-pressed')).toBe('true');
    expect(new URL(page.url()).search).toBe('?preset=highway&seed=7');
    expect(await page.textContent('#preset-title')).toContain('Highway');
    // The focus moved to the results, so a keyboard user lands on the experiment.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('stage');
    await page.focus('#start');
    await page.keyboard.press('Enter');
    await waitForRuns(page, 'r.running || r.step > 0', 30_000);

    // A bad link names the parameter and still opens a working page.
    await page.goto(`${url}?arch=resnet&depth=7`);
    await page.waitForFunction(() => document.getElementById('notice')!.textContent!.includes("link parameter 'depth'"), null, { timeout: 30_000 });
    await waitForRuns(page, 'r.ready', 60_000, presets(7)[0]!.runs.length);
    expect(await page.textContent('#preset-title')).toBe(presets(7)[0]!.title);
    lab.consoleErrors.length = 0;
  });
});
