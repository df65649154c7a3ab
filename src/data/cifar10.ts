import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSet, Split } from './dataset.js';
import { DataError } from '../util/errors.js';

/**
 * CIFAR-10 (Krizhevsky 2009) from its "binary version" (cifar-10-binary.tar.gz, unpacked to
 * cifar-10-batches-bin/) at a directory the user gives. Each file is a sequence of records:
 * 1 label byte (0..9) then 3072 pixel bytes — the 1024 red values, then green, then blue, each
 * 32x32 row-major — which is already the (C, H, W) layout skiplab uses, so records copy as is.
 */

export const CIFAR10_CLASS_NAMES = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
] as const;

const SIDE = 32;
const CHANNELS = 3;
const IMAGE_BYTES = CHANNELS * SIDE * SIDE;
const RECORD_BYTES = 1 + IMAGE_BYTES;

export const CIFAR10_FILES: Record<Split, readonly string[]> = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: ['test_batch.bin'],
};

const EXPECTED =
  'the CIFAR-10 binary version (cifar-10-batches-bin/ with data_batch_1.bin .. data_batch_5.bin and test_batch.bin, ' +
  'from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz)';

/** The directory holding the batch files: `dir` itself, or its `cifar-10-batches-bin/` child. */
function batchDirectory(dir: string): string {
  if (!existsSync(dir)) throw new DataError(`CIFAR-10: ${dir} does not exist; expected a directory with ${EXPECTED}`);
  if (!statSync(dir).isDirectory()) throw new DataError(`CIFAR-10: ${dir} is not a directory; expected a directory with ${EXPECTED}`);
  const nested = join(dir, 'cifar-10-batches-bin');
  if (!existsSync(join(dir, CIFAR10_FILES.test[0]!)) && existsSync(nested)) return nested;
  return dir;
}

/** Check and split one batch file's records into labels and images. */
export function parseCifar10Batch(bytes: Uint8Array, source: string): ImageSet {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    throw new DataError(
      `CIFAR-10 ${source}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte records ` +
        `(1 label byte + ${IMAGE_BYTES} pixel bytes); the file is truncated or not a CIFAR-10 binary batch`,
    );
  }
  const count = bytes.length / RECORD_BYTES;
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * IMAGE_BYTES);
  for (let i = 0; i < count; i++) {
    const label = bytes[i * RECORD_BYTES]!;
    if (label > 9) throw new DataError(`CIFAR-10 ${source}: record ${i} has label ${label}, not a class 0..9 (is this the CIFAR-100 format?)`);
    labels[i] = label;
    images.set(bytes.subarray(i * RECORD_BYTES + 1, (i + 1) * RECORD_BYTES), i * IMAGE_BYTES);
  }
  return { images, labels, count, height: SIDE, width: SIDE, channels: CHANNELS };
}

/**
 * One CIFAR-10 split: 'train' concatenates data_batch_1..5 (50,000 images), 'test' is
 * test_batch (10,000). Batches of any whole number of records are accepted.
 *
 * @example const train = loadCifar10('/data/cifar-10-batches-bin', 'train');
 */
export function loadCifar10(dir: string, split: Split): ImageSet {
  if (split !== 'train' && split !== 'test') throw new Error(`loadCifar10: split must be 'train' or 'test', got '${String(split)}'`);
  const directory = batchDirectory(dir);
  const missing = CIFAR10_FILES[split].filter((file) => !existsSync(join(directory, file)));
  if (missing.length > 0) {
    throw new DataError(`CIFAR-10: ${directory} lacks ${missing.join(', ')} for the ${split} split; expected ${EXPECTED}`);
  }
  const parts = CIFAR10_FILES[split].map((file) => {
    const path = join(directory, file);
    return parseCifar10Batch(readFileSync(path), path);
  });
  const count = parts.reduce((n, p) => n + p.count, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let offset = 0;
  for (const part of parts) {
    images.set(part.images, offset * IMAGE_BYTES);
    labels.set(part.labels, offset);
    offset += part.count;
  }
  return { images, labels, count, height: SIDE, width: SIDE, channels: CHANNELS };
}
