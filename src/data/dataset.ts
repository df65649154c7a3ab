/**
 * Image datasets held in memory as bytes: one uint8 per pixel value (0..255), images stored
 * channel-major (C, H, W) one after another, one uint8 label per image, and optionally one uint8
 * class per pixel for segmentation. Bytes keep MNIST at 47 MB and CIFAR-10 at 150 MB; the loader
 * turns a batch into normalised float32 only when it is needed.
 */

import type { DataSource } from './data-source.js';

/** A data set's official split: the training or the test set. */
export type Split = 'train' | 'test';

/** The arrays every dataset loader returns. */
export interface ImageSet {
  /** count * channels * height * width bytes, each image (C, H, W) row-major. */
  images: Uint8Array;
  /** One class index per image. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  /** The files the images were read from (kind, folder, SHA-256s), when they came from files. */
  source?: DataSource | null;
}

export interface ImageDatasetInit extends ImageSet {
  /** Per-pixel class indices (count * height * width), for segmentation. */
  masks?: Uint8Array | null;
  /** Human-readable class names, index = label. */
  classNames?: readonly string[] | null;
  /** Number of classes (of the labels, or of the masks when there are masks). */
  numClasses?: number;
}

/** Per-channel statistics of pixel values scaled to [0, 1]. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/**
 * An in-memory image dataset: uint8 pixels with shape (C, H, W) per image, labels, and optional
 * segmentation masks. Cheap to subset (for a quick experiment on part of the data).
 *
 * @example
 *   const train = ImageDataset.from(loadMnist('train'));
 *   const small = train.subset(Array.from({ length: 1000 }, (_, i) => i));
 */
export class ImageDataset implements ImageSet {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly masks: Uint8Array | null;
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classNames: readonly string[] | null;
  readonly numClasses: number;
  readonly source: DataSource | null;

  constructor(init: ImageDatasetInit) {
    const { count, channels, height, width } = init;
    for (const [name, value] of Object.entries({ count, channels, height, width })) {
      if (!Number.isSafeInteger(value) || value < 0 || (name !== 'count' && value === 0)) {
        throw new Error(`ImageDataset: ${name} must be a ${name === 'count' ? 'non-negative' : 'positive'} integer, got ${value}`);
      }
    }
    const imageSize = channels * height * width;
    if (init.images.length !== count * imageSize) {
      throw new Error(`ImageDataset: images has ${init.images.length} bytes, but ${count} images of (${channels}, ${height}, ${width}) need ${count * imageSize}`);
    }
    if (init.labels.length !== count) throw new Error(`ImageDataset: labels has ${init.labels.length} entries for ${count} images`);
    if (init.masks && init.masks.length !== count * height * width) {
      throw new Error(`ImageDataset: masks has ${init.masks.length} bytes, but ${count} masks of (${height}, ${width}) need ${count * height * width}`);
    }
    this.images = init.images;
    this.labels = init.labels;
    this.masks = init.masks ?? null;
    this.count = count;
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.classNames = init.classNames ?? null;
    this.source = init.source ?? null;
    this.numClasses = init.numClasses ?? init.classNames?.length ?? maxPlusOne(this.masks ?? this.labels);
  }

  /** A dataset over the arrays of a loader result (shares them, no copy). */
  static from(set: ImageSet & Partial<ImageDatasetInit>): ImageDataset {
    return new ImageDataset(set);
  }

  /** Bytes per image (C * H * W). */
  get imageSize(): number {
    return this.channels * this.height * this.width;
  }

  /** Image `index` as a (C, H, W) byte view (no copy). */
  image(index: number): Uint8Array {
    this.checkIndex(index, 'image');
    return this.images.subarray(index * this.imageSize, (index + 1) * this.imageSize);
  }

  /** A new dataset of the given images, in the given order (copies the bytes). */
  subset(indices: ArrayLike<number>): ImageDataset {
    const n = indices.length;
    const size = this.imageSize;
    const pixels = this.height * this.width;
    const images = new Uint8Array(n * size);
    const labels = new Uint8Array(n);
    const masks = this.masks ? new Uint8Array(n * pixels) : undefined;
    for (let k = 0; k < n; k++) {
      const i = indices[k]!;
      this.checkIndex(i, 'subset');
      images.set(this.images.subarray(i * size, (i + 1) * size), k * size);
      labels[k] = this.labels[i]!;
      masks?.set(this.masks!.subarray(i * pixels, (i + 1) * pixels), k * pixels);
    }
    return new ImageDataset({
      images, labels, masks, count: n, channels: this.channels, height: this.height, width: this.width,
      classNames: this.classNames, numClasses: this.numClasses, source: this.source,
    });
  }

  /** The first `n` images (or all, if there are fewer). */
  take(n: number): ImageDataset {
    return this.subset(Array.from({ length: Math.min(n, this.count) }, (_, i) => i));
  }

  /** How many images carry each label. */
  labelHistogram(): number[] {
    const histogram = new Array<number>(Math.max(this.numClasses, maxPlusOne(this.labels))).fill(0);
    for (const label of this.labels) histogram[label]!++;
    return histogram;
  }

  /** Per-channel mean and standard deviation of the pixels scaled to [0, 1] (for normalisation). */
  channelStats(): ChannelStats {
    const plane = this.height * this.width;
    const mean: number[] = [];
    const std: number[] = [];
    for (let c = 0; c < this.channels; c++) {
      // A histogram of byte values makes this exact and one pass over the data.
      const histogram = new Float64Array(256);
      for (let i = 0; i < this.count; i++) {
        const start = i * this.imageSize + c * plane;
        for (let p = start; p < start + plane; p++) histogram[this.images[p]!]!++;
      }
      let sum = 0;
      let sumSquares = 0;
      let n = 0;
      for (let v = 0; v < 256; v++) {
        const x = v / 255;
        sum += histogram[v]! * x;
        sumSquares += histogram[v]! * x * x;
        n += histogram[v]!;
      }
      const m = n > 0 ? sum / n : 0;
      mean.push(m);
      std.push(n > 0 ? Math.sqrt(Math.max(0, sumSquares / n - m * m)) : 0);
    }
    return { mean, std };
  }

  private checkIndex(index: number, op: string): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`ImageDataset.${op}: index ${index} is outside 0..${this.count - 1}`);
    }
  }
}

function maxPlusOne(values: Uint8Array): number {
  let max = -1;
  for (const v of values) if (v > max) max = v;
  return max + 1;
}
