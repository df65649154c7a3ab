import { describe, expect, it } from 'vitest';
import { padCropFlip } from '../../src/data/augment.js';
import { ImageDataset } from '../../src/data/dataset.js';
import { DataLoader, type Batch } from '../../src/data/loader.js';
import { Rng } from '../../src/tensor/rng.js';

/** 23 two-channel 3x4 images; pixel value encodes (image, channel, pixel), label = image % 5. */
function synthetic(count = 23): ImageDataset {
  const c = 2, h = 3, w = 4;
  const images = new Uint8Array(count * c * h * w);
  for (let i = 0; i < count; i++) for (let p = 0; p < c * h * w; p++) images[i * c * h * w + p] = (i * 7 + p) % 256;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 5);
  return new ImageDataset({ images, labels, count, channels: c, height: h, width: w });
}

const snapshot = (b: Batch) => ({ x: Array.from(b.x.data), y: Array.from(b.y.data), indices: Array.from(b.indices) });

describe('DataLoader', () => {
  const dataset = synthetic();

  it('yields (N, C, H, W) float32 and (N) int32 batches covering the epoch in order without shuffle', () => {
    const loader = new DataLoader(dataset, { batchSize: 10 });
    const batches = [...loader];
    expect(batches.map((b) => b.x.shape)).toEqual([[10, 2, 3, 4], [10, 2, 3, 4], [3, 2, 3, 4]]);
    expect(batches[0]!.x.dtype).toBe('float32');
    expect(batches[0]!.y.dtype).toBe('int32');
    expect(batches.flatMap((b) => Array.from(b.indices))).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(Array.from(batches[1]!.y.data)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(batches[2]!.x.data[1]).toBeCloseTo(((20 * 7 + 1) % 256) / 255, 6);
    expect(loader.batchesPerEpoch).toBe(3);
  });

  it('normalises per channel: (v / 255 - mean[c]) / std[c]', () => {
    const loader = new DataLoader(dataset, { batchSize: 4, normalize: { mean: [0.5, 0.25], std: [0.5, 2] } });
    const { x } = loader.next();
    const v0 = dataset.images[0]!;
    const v1 = dataset.images[12]!; // first pixel of channel 1 of image 0
    expect(x.data[0]).toBeCloseTo((v0 / 255 - 0.5) / 0.5, 6);
    expect(x.data[12]).toBeCloseTo((v1 / 255 - 0.25) / 2, 6);
    expect(() => new DataLoader(dataset, { batchSize: 4, normalize: { mean: [0], std: [1] } })).toThrow(/1 means and 1 stds for 2 channels/);
    expect(() => new DataLoader(dataset, { batchSize: 4, normalize: { mean: [0, 0], std: [1, 0] } })).toThrow(/channel 1 .* std must be positive/);
  });

  it('drops the short last batch with dropLast', () => {
    const loader = new DataLoader(dataset, { batchSize: 10, dropLast: true, shuffle: true, seed: 3 });
    expect([...loader].map((b) => b.indices.length)).toEqual([10, 10]);
    expect(loader.batchesPerEpoch).toBe(2);
  });

  it('shuffles each epoch into a new permutation, every image exactly once', () => {
    const loader = new DataLoader(dataset, { batchSize: 5, shuffle: true, seed: 11 });
    const epoch0 = [...loader].flatMap((b) => Array.from(b.indices));
    const epoch1 = [...loader].flatMap((b) => Array.from(b.indices));
    expect(loader.epoch).toBe(1);
    expect([...epoch0].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect([...epoch1].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(epoch0).not.toEqual(epoch1);
    expect(epoch0).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('is deterministic for a seed (including augmentation) and differs across seeds', () => {
    const make = (seed: number) => new DataLoader(dataset, { batchSize: 7, shuffle: true, seed, augment: padCropFlip(1) });
    const run = (loader: DataLoader) => Array.from({ length: 8 }, () => snapshot(loader.next()));
    expect(run(make(5))).toEqual(run(make(5)));
    expect(run(make(5))).not.toEqual(run(make(6)));
    const fromRng = (seed: number) => new DataLoader(dataset, { batchSize: 7, shuffle: true, rng: new Rng(seed) });
    expect(run(fromRng(9))).toEqual(run(fromRng(9)));
  });

  it('resumes from a saved state (through JSON) with exactly the batches of an uninterrupted run', () => {
    const options = { batchSize: 6, shuffle: true, seed: 21, augment: padCropFlip(1) };
    const reference = new DataLoader(dataset, options);
    const all = Array.from({ length: 14 }, () => snapshot(reference.next())); // 3.5 epochs
    for (const stopAfter of [0, 3, 4, 9]) {
      const first = new DataLoader(dataset, options);
      for (let i = 0; i < stopAfter; i++) first.next();
      const state = JSON.parse(JSON.stringify(first.getState()));
      const resumed = new DataLoader(dataset, { ...options, seed: 999 });
      resumed.setState(state);
      const rest = Array.from({ length: 14 - stopAfter }, () => snapshot(resumed.next()));
      expect(rest, `resumed after ${stopAfter} batches`).toEqual(all.slice(stopAfter));
    }
  });

  it('resumes through the epoch iterator as well', () => {
    const options = { batchSize: 5, shuffle: true, seed: 2 };
    const a = new DataLoader(dataset, options);
    const epochs: number[][] = [];
    for (let e = 0; e < 3; e++) epochs.push([...a].flatMap((b) => Array.from(b.indices)));
    const b = new DataLoader(dataset, options);
    const firstHalf = [...b].flatMap((x) => Array.from(x.indices));
    const iterator = b[Symbol.iterator]();
    const partial = [iterator.next().value!, iterator.next().value!].flatMap((x) => Array.from(x.indices));
    const c = new DataLoader(dataset, options);
    c.setState(b.getState());
    const rest = [...c].flatMap((x) => Array.from(x.indices));
    expect(firstHalf).toEqual(epochs[0]);
    expect([...partial, ...rest]).toEqual(epochs[1]);
    expect([...c].flatMap((x) => Array.from(x.indices))).toEqual(epochs[2]);
  });

  it('rejects a state from another dataset or batch size, and bad options', () => {
    const state = new DataLoader(dataset, { batchSize: 6 }).getState();
    expect(() => new DataLoader(synthetic(10), { batchSize: 6 }).setState(state)).toThrow(/state is for 23 images in batches of 6, this loader has 10/);
    expect(() => new DataLoader(dataset, { batchSize: 6 }).setState({ ...state, position: 99 })).toThrow(/position 99 is outside 0\.\.23/);
    expect(() => new DataLoader(dataset, { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new DataLoader(synthetic(3), { batchSize: 5, dropLast: true }).next()).toThrow(/no batch of 5 can be drawn from 3 images with dropLast/);
  });

  it('reuses batch storage only when asked', () => {
    const fresh = new DataLoader(dataset, { batchSize: 5 });
    expect(fresh.next().x.data).not.toBe(fresh.next().x.data);
    const reusing = new DataLoader(dataset, { batchSize: 5, reuseBuffers: true });
    const first = reusing.next();
    const firstValues = Array.from(first.x.data);
    const second = reusing.next();
    expect(second.x.data).toBe(first.x.data);
    expect(Array.from(second.x.data)).not.toEqual(firstValues);
    expect(Array.from(second.indices)).toEqual([5, 6, 7, 8, 9]);
  });

  it('yields (N, H, W) int32 per-pixel targets for a dataset with masks', () => {
    const base = synthetic(4);
    const masks = Uint8Array.from({ length: 4 * 12 }, (_, p) => p % 3);
    const segmentation = new ImageDataset({ ...base, images: base.images, labels: base.labels, masks });
    const { x, y } = new DataLoader(segmentation, { batchSize: 4 }).next();
    expect(x.shape).toEqual([4, 2, 3, 4]);
    expect(y.shape).toEqual([4, 3, 4]);
    expect(Array.from(y.data)).toEqual(Array.from(masks));
  });
});
