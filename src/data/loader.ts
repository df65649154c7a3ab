import { Rng, type RngState } from '../tensor/rng.js';
import { empty, Tensor } from '../tensor/tensor.js';
import type { BatchAugmentation } from './augment.js';
import { ImageDataset, type ChannelStats, type ImageSet } from './dataset.js';

/**
 * A seeded mini-batch loader over an in-memory `ImageDataset`.
 *
 * Each batch is built in one pass: gather the images of the batch's indices and map every byte
 * through a per-channel lookup table of (v / 255 - mean[c]) / std[c] — 256 precomputed values per
 * channel, so normalisation costs one table read per pixel. Augmentation then runs in place on
 * the float batch.
 *
 * Randomness comes from two streams split off the seed: one draws each epoch's permutation, the
 * other the augmentations. The loader's state is (epoch, position in the epoch, the shuffle
 * stream's state when the epoch began, the augmentation stream's state now): restoring it
 * regenerates the epoch's permutation and continues with exactly the batches an uninterrupted run
 * would have seen.
 *
 * @example
 *   const loader = new DataLoader(train, { batchSize: 128, shuffle: true, seed: 1, normalize: train.channelStats() });
 *   for (let epoch = 0; epoch < 3; epoch++) for (const { x, y } of loader) step(x, y);
 */

export interface DataLoaderOptions {
  batchSize: number;
  /** Draw a new permutation every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the loader's random streams (default 0); ignored when `rng` is given. */
  seed?: number;
  /** Generator to split the loader's streams from (consumes two draws from it). */
  rng?: Rng;
  /** Drop the last batch of an epoch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Per-channel mean and std of pixels in [0, 1] units; without it x = pixel / 255. */
  normalize?: ChannelStats | null;
  /** Applied in place to each batch (x, and the masks of a segmentation dataset). */
  augment?: BatchAugmentation | null;
  /**
   * Reuse the x/y storage of the previous batch when the batch size is unchanged. Only safe when
   * a batch is no longer referenced once the next is requested (a plain train step); off by
   * default.
   */
  reuseBuffers?: boolean;
}

/** One batch: x (N, C, H, W) float32, y (N) or (N, H, W) int32, and the dataset index of each image. */
export interface Batch {
  /** (N, C, H, W) float32, normalised and augmented. */
  x: Tensor;
  /** (N) int32 class labels, or (N, H, W) int32 per-pixel classes for a dataset with masks. */
  y: Tensor;
  /** The dataset index of each image in the batch. */
  indices: Int32Array;
}

/** Everything needed to resume a loader mid-epoch; plain JSON. */
export interface DataLoaderState {
  epoch: number;
  position: number;
  count: number;
  batchSize: number;
  epochShuffleRng: RngState;
  augmentRng: RngState;
}

/**
 * Batches of an `ImageDataset` as normalised float tensors: x (N, C, H, W), y (N) int32; seeded shuffling and augmentation, resumable mid-epoch.
 *
 * @example
 *   const loader = new DataLoader(train, { batchSize: 128, shuffle: true, seed: 1, normalize: train.channelStats() });
 *   for (const { x, y } of loader) step(x, y);
 */
export class DataLoader implements Iterable<Batch> {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly augment: BatchAugmentation | null;
  private readonly reuseBuffers: boolean;
  private readonly lookup: Float32Array;
  private readonly shuffleRng: Rng;
  private readonly augmentRng: Rng;
  private epochShuffleState: RngState;
  private order: Int32Array;
  private epochIndex = 0;
  private position = 0;
  private reusable: Batch | null = null;

  constructor(dataset: ImageDataset | ImageSet, options: DataLoaderOptions) {
    this.dataset = dataset instanceof ImageDataset ? dataset : ImageDataset.from(dataset);
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.augment = options.augment ?? null;
    this.reuseBuffers = options.reuseBuffers ?? false;
    this.lookup = normalizationTable(this.dataset.channels, options.normalize ?? null);
    const base = options.rng ?? new Rng(options.seed ?? 0);
    this.shuffleRng = base.fork();
    this.augmentRng = base.fork();
    this.epochShuffleState = this.shuffleRng.getState();
    this.order = this.drawOrder();
  }

  /** The current epoch, counted from 0. */
  get epoch(): number {
    return this.epochIndex;
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.dataset.count;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The batches left in the current epoch (all of the next epoch if this one is finished). */
  *[Symbol.iterator](): Iterator<Batch> {
    if (this.position >= this.epochEnd()) this.startNextEpoch();
    while (this.position < this.epochEnd()) yield this.next();
  }

  /** The next batch, moving on to a new epoch when the current one is exhausted. */
  next(): Batch {
    if (this.position >= this.epochEnd()) this.startNextEpoch();
    const end = this.epochEnd();
    if (this.position >= end) {
      throw new Error(`DataLoader: no batch of ${this.batchSize} can be drawn from ${this.dataset.count} images${this.dropLast ? ' with dropLast' : ''}`);
    }
    const size = Math.min(this.batchSize, end - this.position);
    const indices = this.order.slice(this.position, this.position + size);
    this.position += size;
    return this.makeBatch(indices);
  }

  /** Where the loader is (epoch, position, random streams), to resume it with `setState`. */
  getState(): DataLoaderState {
    return {
      epoch: this.epochIndex,
      position: this.position,
      count: this.dataset.count,
      batchSize: this.batchSize,
      epochShuffleRng: { s: [...this.epochShuffleState.s], spareNormal: this.epochShuffleState.spareNormal },
      augmentRng: this.augmentRng.getState(),
    };
  }

  /** Continue from a `getState()` of a loader over the same dataset with the same options. */
  setState(state: DataLoaderState): void {
    const where = 'DataLoader.setState';
    if (state.count !== this.dataset.count || state.batchSize !== this.batchSize) {
      throw new Error(`${where}: the state is for ${state.count} images in batches of ${state.batchSize}, this loader has ${this.dataset.count} in batches of ${this.batchSize}`);
    }
    if (!Number.isInteger(state.epoch) || state.epoch < 0) throw new Error(`${where}: epoch must be a non-negative integer, got ${state.epoch}`);
    if (!Number.isInteger(state.position) || state.position < 0 || state.position > this.epochEnd()) {
      throw new Error(`${where}: position ${state.position} is outside 0..${this.epochEnd()}`);
    }
    for (const key of ['epochShuffleRng', 'augmentRng'] as const) {
      if (!Array.isArray(state[key]?.s) || state[key].s.length !== 4) throw new Error(`${where}: ${key} is not an Rng state`);
    }
    this.epochIndex = state.epoch;
    this.shuffleRng.setState(state.epochShuffleRng);
    this.epochShuffleState = this.shuffleRng.getState();
    this.order = this.drawOrder();
    this.position = state.position;
    this.augmentRng.setState(state.augmentRng);
  }

  private epochEnd(): number {
    return this.dropLast ? this.batchesPerEpoch * this.batchSize : this.dataset.count;
  }

  private drawOrder(): Int32Array {
    if (this.shuffle) return this.shuffleRng.permutation(this.dataset.count);
    return Int32Array.from({ length: this.dataset.count }, (_, i) => i);
  }

  private startNextEpoch(): void {
    this.epochIndex++;
    this.position = 0;
    this.epochShuffleState = this.shuffleRng.getState();
    this.order = this.drawOrder();
  }

  private makeBatch(indices: Int32Array): Batch {
    const { channels: c, height: h, width: w, masks, images, labels } = this.dataset;
    const n = indices.length;
    const plane = h * w;
    const imageSize = c * plane;
    const xShape = [n, c, h, w];
    const yShape = masks ? [n, h, w] : [n];
    const previous = this.reuseBuffers && this.reusable?.indices.length === n ? this.reusable : null;
    const x = previous ? previous.x : empty(xShape);
    const y = previous ? previous.y : new Tensor(new Int32Array(masks ? n * plane : n), yShape);
    const xData = x.f32;
    const yData = y.i32;
    const lookup = this.lookup;
    for (let k = 0; k < n; k++) {
      const i = indices[k]!;
      const source = i * imageSize;
      const target = k * imageSize;
      for (let channel = 0; channel < c; channel++) {
        const table = channel * 256;
        const start = channel * plane;
        for (let p = start; p < start + plane; p++) xData[target + p] = lookup[table + images[source + p]!]!;
      }
      if (masks) {
        for (let p = 0; p < plane; p++) yData[k * plane + p] = masks[i * plane + p]!;
      } else {
        yData[k] = labels[i]!;
      }
    }
    if (this.augment) this.augment(x, this.augmentRng, masks ? y : undefined);
    const batch = { x, y, indices };
    if (this.reuseBuffers) this.reusable = batch;
    return batch;
  }
}

/** 256 float values per channel: (v / 255 - mean[c]) / std[c]. */
function normalizationTable(channels: number, stats: ChannelStats | null): Float32Array {
  const table = new Float32Array(channels * 256);
  if (stats && (stats.mean.length !== channels || stats.std.length !== channels)) {
    throw new Error(`DataLoader: normalize has ${stats.mean.length} means and ${stats.std.length} stds for ${channels} channels`);
  }
  for (let c = 0; c < channels; c++) {
    const mean = stats ? stats.mean[c]! : 0;
    const std = stats ? stats.std[c]! : 1;
    if (!(std > 0) || !Number.isFinite(mean)) throw new Error(`DataLoader: channel ${c} has mean ${mean} and std ${std}; std must be positive`);
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v / 255 - mean) / std;
  }
  return table;
}
