import { describe, expect, it } from 'vitest';
import { composeDigitSegmentation, loadDigitSegmentation } from '../../src/data/digit-segmentation.js';
import { DataLoader } from '../../src/data/loader.js';
import { loadMnist } from '../../src/data/mnist.js';

describe('digit segmentation from real MNIST digits', () => {
  const source = loadMnist('test');
  const set = composeDigitSegmentation(source, { count: 200, seed: 7 });

  it('makes 64x64 one-channel canvases with per-pixel masks and 11 classes', () => {
    expect([set.count, set.channels, set.height, set.width]).toEqual([200, 1, 64, 64]);
    expect(set.masks!.length).toBe(200 * 64 * 64);
    expect(set.numClasses).toBe(11);
    expect(set.classNames![0]).toBe('background');
  });

  it('places 1-3 digits per canvas, each canvas with that many distinct stroke regions of labels 1..10', () => {
    const counts = new Set(set.labels);
    expect([...counts].sort()).toEqual([1, 2, 3]);
    for (let i = 0; i < set.count; i++) {
      const mask = set.masks!.subarray(i * 4096, (i + 1) * 4096);
      const classes = new Set([...mask].filter((v) => v > 0));
      expect(classes.size).toBeGreaterThan(0);
      expect(classes.size).toBeLessThanOrEqual(set.labels[i]!);
      for (const c of classes) expect(c).toBeLessThanOrEqual(10);
    }
  });

  it('labels every stroke pixel with the class of the digit placed there (1 + its label)', () => {
    // A source whose digit d is a 12x9 block of grey 130 + 10·d (above the threshold), so each
    // canvas pixel's grey level tells which digit was pasted there.
    const count = 40;
    const images = new Uint8Array(count * 28 * 28);
    const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7) % 10);
    for (let i = 0; i < count; i++) {
      for (let y = 8; y < 20; y++) for (let x = 10; x < 19; x++) images[i * 784 + y * 28 + x] = 130 + 10 * labels[i]!;
    }
    const blocks = composeDigitSegmentation({ images, labels, count, channels: 1, height: 28, width: 28 }, { count: 60, seed: 3 });
    const seen = new Set<number>();
    for (let p = 0; p < blocks.images.length; p++) {
      const grey = blocks.images[p]!;
      const expected = grey === 0 ? 0 : 1 + (grey - 130) / 10;
      if (blocks.masks![p] !== expected) throw new Error(`pixel ${p}: grey ${grey} is digit ${expected - 1}, mask says class ${blocks.masks![p]}`);
      seen.add(expected);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // And each canvas's label is the number of digit blocks placed on it (108 pixels each).
    for (let i = 0; i < blocks.count; i++) {
      const strokes = blocks.masks!.subarray(i * 4096, (i + 1) * 4096).reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
      expect(strokes, `canvas ${i}`).toBe(108 * blocks.labels[i]!);
    }
  });

  it('labels a pixel as a stroke exactly when its grey level is at least the threshold', () => {
    for (let p = 0; p < set.images.length; p++) {
      if ((set.masks![p]! > 0) !== (set.images[p]! >= 128)) throw new Error(`pixel ${p}: grey ${set.images[p]}, mask ${set.masks![p]}`);
    }
    // Ink covers a plausible share of the canvas: one MNIST digit has ~100-150 strong pixels.
    const strokes = set.masks!.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    expect(strokes / set.count).toBeGreaterThan(80);
    expect(strokes / set.count).toBeLessThan(600);
  });

  it('is reproducible from the seed, different for another seed, and binary on request', () => {
    const again = composeDigitSegmentation(source, { count: 200, seed: 7 });
    expect(Buffer.compare(Buffer.from(again.images), Buffer.from(set.images))).toBe(0);
    expect(Buffer.compare(Buffer.from(again.masks!), Buffer.from(set.masks!))).toBe(0);
    const other = composeDigitSegmentation(source, { count: 200, seed: 8 });
    expect(Buffer.compare(Buffer.from(other.images), Buffer.from(set.images))).not.toBe(0);
    const binary = composeDigitSegmentation(source, { count: 50, seed: 7, labels: 'binary', size: 40, minDigits: 2, maxDigits: 2 });
    expect(new Set(binary.masks)).toEqual(new Set([0, 1]));
    expect(binary.height).toBe(40);
  });

  it('feeds the loader as (N, 1, 64, 64) images and (N, 64, 64) targets', () => {
    const train = loadDigitSegmentation('train', { count: 16 });
    const { x, y } = new DataLoader(train, { batchSize: 8 }).next();
    expect(x.shape).toEqual([8, 1, 64, 64]);
    expect(y.shape).toEqual([8, 64, 64]);
  });

  it('rejects a canvas smaller than a digit and bad digit counts', () => {
    expect(() => composeDigitSegmentation(source, { count: 1, size: 20 })).toThrow(/canvas size 20 is smaller than a 28x28 digit/);
    expect(() => composeDigitSegmentation(source, { count: 1, minDigits: 3, maxDigits: 1 })).toThrow(/0 <= minDigits <= maxDigits/);
  });
});
