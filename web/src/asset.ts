/**
 * The lab's data asset: one binary file per dataset, written at build time (scripts/build-web.ts)
 * and fetched by the page. Layout: the 4 bytes "SKLD", a little-endian uint32 header length, a
 * UTF-8 JSON header, then per split (train, test) its images, its labels and, for segmentation,
 * its masks, as raw uint8 — pixels 0..255 in (C, H, W) order per image and one class per pixel,
 * as src/data keeps them. No Node imports.
 */

export const LAB_DATASETS = ['mnist', 'fashion-mnist', 'digit-segmentation'] as const;
export type LabDatasetName = (typeof LAB_DATASETS)[number];

export interface LabSplit {
  images: Uint8Array;
  labels: Uint8Array;
  /** One class per pixel (count · H · W), for segmentation; null for classification. */
  masks: Uint8Array | null;
  count: number;
}

export interface LabDataset {
  name: string;
  classNames: string[];
  channels: number;
  height: number;
  width: number;
  /** 'segmentation': the targets are the masks (classNames name the pixel classes). */
  task: 'classification' | 'segmentation';
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
    name: data.name, classNames: data.classNames, task: data.task, channels: data.channels, height: data.height, width: data.width,
    mean: data.mean, std: data.std, trainCount: data.train.count, testCount: data.test.count,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const masksOf = (split: LabSplit): Uint8Array[] => {
    if ((data.task === 'segmentation') !== (split.masks !== null)) throw new Error(`encodeLabAsset(${data.name}): a ${data.task} asset ${data.task === 'segmentation' ? 'needs' : 'takes no'} masks`);
    return split.masks ? [split.masks] : [];
  };
  const parts = [data.train.images, data.train.labels, ...masksOf(data.train), data.test.images, data.test.labels, ...masksOf(data.test)];
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
  if (header.task !== 'classification' && header.task !== 'segmentation') throw new Error(`${source}: unknown task '${String(header.task)}'; rebuild with \`npm run build:web\``);
  const imageSize = header.channels * header.height * header.width;
  const maskSize = header.task === 'segmentation' ? header.height * header.width : 0;
  const expected = 8 + length + (header.trainCount + header.testCount) * (imageSize + 1 + maskSize);
  if (bytes.length !== expected) throw new Error(`${source}: ${bytes.length} bytes, the header describes ${expected}`);
  let offset = 8 + length;
  const take = (n: number): Uint8Array => bytes.subarray(offset, (offset += n));
  const split = (count: number): LabSplit => ({ images: take(count * imageSize), labels: take(count), masks: maskSize ? take(count * maskSize) : null, count });
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

/** Per-pixel classes (N, H, W) of the given images of a segmentation split. */
export function batchMasks(data: LabDataset, split: LabSplit, indices: ArrayLike<number>): Int32Array {
  if (!split.masks) throw new Error(`${data.name}: a ${data.task} set has no masks`);
  const pixels = data.height * data.width;
  const out = new Int32Array(indices.length * pixels);
  for (let k = 0; k < indices.length; k++) out.set(split.masks.subarray(indices[k]! * pixels, (indices[k]! + 1) * pixels), k * pixels);
  return out;
}
