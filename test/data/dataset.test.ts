import { describe, expect, it } from 'vitest';
import { ImageDataset } from '../../src/data/dataset.js';

function small(): ImageDataset {
  // 4 images of 2 channels, 1x2 pixels.
  const images = Uint8Array.from([0, 255, 10, 20, /**/ 1, 2, 3, 4, /**/ 5, 6, 7, 8, /**/ 255, 255, 0, 0]);
  return new ImageDataset({ images, labels: Uint8Array.from([3, 1, 3, 0]), count: 4, channels: 2, height: 1, width: 2, classNames: ['a', 'b', 'c', 'd'] });
}

describe('ImageDataset', () => {
  it('checks that the arrays fit the shape', () => {
    expect(() => new ImageDataset({ images: new Uint8Array(5), labels: new Uint8Array(1), count: 1, channels: 1, height: 2, width: 2 })).toThrow(
      /images has 5 bytes, but 1 images of \(1, 2, 2\) need 4/,
    );
    expect(() => new ImageDataset({ images: new Uint8Array(4), labels: new Uint8Array(2), count: 1, channels: 1, height: 2, width: 2 })).toThrow(/labels has 2 entries for 1 images/);
    expect(() => new ImageDataset({ images: new Uint8Array(0), labels: new Uint8Array(0), count: 0, channels: 0, height: 2, width: 2 })).toThrow(/channels must be a positive integer/);
  });

  it('subsets in the given order, copying images, labels and masks', () => {
    const d = small();
    const s = d.subset([3, 0]);
    expect(s.count).toBe(2);
    expect(Array.from(s.images)).toEqual([255, 255, 0, 0, 0, 255, 10, 20]);
    expect(Array.from(s.labels)).toEqual([0, 3]);
    expect(s.classNames).toEqual(['a', 'b', 'c', 'd']);
    expect(s.numClasses).toBe(4);
    s.images[0] = 9;
    expect(d.images[12]).toBe(255);
    expect(() => d.subset([4])).toThrow(/ImageDataset\.subset: index 4 is outside 0\.\.3/);
    const withMasks = new ImageDataset({ ...d, images: d.images, labels: d.labels, masks: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(Array.from(withMasks.subset([2, 1]).masks!)).toEqual([5, 6, 3, 4]);
  });

  it('counts labels and computes exact per-channel statistics in [0, 1] units', () => {
    const d = small();
    expect(d.labelHistogram()).toEqual([1, 1, 0, 2]);
    const channel0 = [0, 255, 1, 2, 5, 6, 255, 255].map((v) => v / 255);
    const mean = channel0.reduce((a, b) => a + b) / channel0.length;
    const std = Math.sqrt(channel0.reduce((a, b) => a + (b - mean) ** 2, 0) / channel0.length);
    const stats = d.channelStats();
    expect(stats.mean[0]).toBeCloseTo(mean, 12);
    expect(stats.std[0]).toBeCloseTo(std, 12);
    expect(stats.mean[1]).toBeCloseTo([10, 20, 3, 4, 7, 8, 0, 0].reduce((a, b) => a + b) / 8 / 255, 12);
  });

  it('views one image without copying', () => {
    const d = small();
    expect(Array.from(d.image(1))).toEqual([1, 2, 3, 4]);
    expect(d.image(1).buffer).toBe(d.images.buffer);
    expect(d.take(2).count).toBe(2);
  });
});
