/**
 * The lab's data asset: one binary file per dataset, written at build time (scripts/build-web.ts)
 * and fetched by the page. Layout: the 4 bytes "SKLD", a little-endian uint32 header length, a
 * UTF-8 JSON header, then train images, train labels, test images, test labels as raw uint8 —
 * pixels 0..255 in (C, H, W) order per image, as src/data keeps them. No Node imports.
 */

export const LAB_DATASETS = ['mnist', 'fashion-mnist'] as const;
export type LabDatasetName = (typeof LAB_DATASETS)[number];

export interface LabSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface LabDataset {
  name: string;
  classNames: string[];
  channels: number;
  height: number;
  width: number;
  /** Per-channel mean and std of pixels in [0, 1] over the full training split. */
  mean: number[];
  std: number[];
  train: LabSplit;
  test: LabSplit;
}

const MAGIC = 'SKLD';

type Header = Omit<LabDataset, 'train' | 'test'> & { trainCount: number; testCount: number };

export function encodeLabAsset(data: LabDataset): Uint8Array {
  const header: Header = {
    name: data.name, classNames: data.classNames, channels: data.channels, height: data.height, width: data.width,
    mean: data.mean, std: data.std, trainCount: data.train.count, testCount: data.test.count,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const parts = [data.train.images, data.train.labels, data.test.images, data.test.labels];
  const out = new Uint8Array(8 + json.length + parts.reduce((s, p) => s + p.length, 0));
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  let offset = 8 + json.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function decodeLabAsset(bytes: Uint8Array, source: string): LabDataset {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error(`${source}: not a skiplab lab data asset (no "${MAGIC}" magic); rebuild with \`npm run build:web\``);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Header;
  const imageSize = header.channels * header.height * header.width;
  const expected = 8 + length + (header.trainCount + header.testCount) * (imageSize + 1);
  if (bytes.length !== expected) throw new Error(`${source}: ${bytes.length} bytes, the header describes ${expected}`);
  let offset = 8 + length;
  const take = (n: number): Uint8Array => bytes.subarray(offset, (offset += n));
  const split = (count: number): LabSplit => ({ images: take(count * imageSize), labels: take(count), count });
  const { trainCount, testCount, ...rest } = header;
  const train = split(trainCount);
  return { ...rest, train, test: split(testCount) };
}

/**
 * Normalised float32 images (N, C, H, W) for the given indices: (v / 255 − mean[c]) / std[c],
 * through a 256-entry table per channel as src/data/loader.ts does.
 */
export function batchImages(data: LabDataset, split: LabSplit, indices: ArrayLike<number>): Float32Array {
  const plane = data.height * data.width;
  const imageSize = data.channels * plane;
  const table = new Float32Array(256 * data.channels);
  for (let c = 0; c < data.channels; c++) for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - data.mean[c]!) / data.std[c]!;
  const out = new Float32Array(indices.length * imageSize);
  for (let k = 0; k < indices.length; k++) {
    const start = indices[k]! * imageSize;
    for (let j = 0; j < imageSize; j++) out[k * imageSize + j] = table[Math.floor(j / plane) * 256 + split.images[start + j]!]!;
  }
  return out;
}

export function batchLabels(split: LabSplit, indices: ArrayLike<number>): Int32Array {
  return Int32Array.from(indices, (i) => split.labels[i]!);
}
