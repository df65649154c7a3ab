import { describe, expect, it } from 'vitest';
import { composeAugmentations, padCropFlip, randomCrop, randomHorizontalFlip } from '../../src/data/augment.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, tensor, type Tensor } from '../../src/tensor/tensor.js';

/** A (n, c, h, w) batch whose value at (i, ch, y, x) is 1 + i*1000 + ch*100 + y*10 + x (never 0). */
function batch(n: number, c: number, h: number, w: number): Tensor {
  const data: number[] = [];
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.push(1 + i * 1000 + ch * 100 + y * 10 + x);
  return tensor(data, [n, c, h, w]);
}

const at = (t: Tensor, i: number, ch: number, y: number, x: number) => {
  const [, c, h, w] = t.shape as number[];
  return t.data[((i * c! + ch) * h! + y) * w! + x]!;
};

describe('randomCrop', () => {
  it('keeps the shape and each image is its original shifted by at most `padding`, filled outside', () => {
    const x = batch(16, 3, 5, 6);
    const original = x.clone();
    randomCrop({ padding: 2, fill: -7 })(x, new Rng(1));
    expect(x.shape).toEqual([16, 3, 5, 6]);
    let shifted = 0;
    for (let i = 0; i < 16; i++) {
      // Find the shift that explains this image, then check every pixel against it.
      const matches: [number, number][] = [];
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          let ok = true;
          for (let ch = 0; ch < 3 && ok; ch++) {
            for (let y = 0; y < 5 && ok; y++) {
              for (let xx = 0; xx < 6 && ok; xx++) {
                const sy = y + dy, sx = xx + dx;
                const expected = sy >= 0 && sy < 5 && sx >= 0 && sx < 6 ? at(original, i, ch, sy, sx) : -7;
                ok = at(x, i, ch, y, xx) === expected;
              }
            }
          }
          if (ok) matches.push([dy, dx]);
        }
      }
      expect(matches, `image ${i}`).toHaveLength(1);
      if (matches[0]![0] !== 0 || matches[0]![1] !== 0) shifted++;
    }
    expect(shifted).toBeGreaterThan(8);
  });

  it('moves masks with their images, filling with background', () => {
    const x = batch(6, 1, 4, 4);
    const masks = intTensor(Array.from({ length: 6 * 16 }, (_, p) => 1 + (p % 16)), [6, 4, 4]);
    randomCrop({ padding: 1 })(x, new Rng(4), masks);
    for (let p = 0; p < 6 * 16; p++) {
      const i = Math.floor(p / 16);
      // Image pixel value encodes (y, x) of its source; the mask must name the same source pixel.
      const v = x.data[p]!;
      if (v === 0) expect(masks.data[p]).toBe(0);
      else {
        const source = v - 1 - i * 1000; // 10 * y + x of the source pixel
        expect(masks.data[p]).toBe(1 + Math.floor(source / 10) * 4 + (source % 10));
      }
    }
  });

  it('is reproducible from the seed', () => {
    const a = batch(8, 2, 6, 6);
    const b = batch(8, 2, 6, 6);
    const c = batch(8, 2, 6, 6);
    randomCrop({ padding: 2 })(a, new Rng(3));
    randomCrop({ padding: 2 })(b, new Rng(3));
    randomCrop({ padding: 2 })(c, new Rng(4));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('rejects a non-batch input and a bad padding', () => {
    expect(() => randomCrop({ padding: 1 })(tensor([1, 2, 3]), new Rng(0))).toThrow(/randomCrop: expected a float32 batch \(N, C, H, W\), got float32 \[3\]/);
    expect(() => randomCrop({ padding: -1 })).toThrow(/padding must be a non-negative integer/);
    expect(() => randomCrop({ padding: 1 })(batch(2, 1, 3, 3), new Rng(0), intTensor([1, 2], [2, 1, 1]))).toThrow(/masks \[2, 1, 1\] do not match the batch \[2, 1, 3, 3\]/);
  });
});

describe('randomHorizontalFlip', () => {
  it('mirrors every row of the chosen images (p = 1) and none with p = 0', () => {
    const x = batch(2, 2, 3, 4);
    randomHorizontalFlip({ p: 1 })(x, new Rng(0));
    for (let i = 0; i < 2; i++) for (let ch = 0; ch < 2; ch++) for (let y = 0; y < 3; y++) for (let xx = 0; xx < 4; xx++) {
      expect(at(x, i, ch, y, xx)).toBe(1 + i * 1000 + ch * 100 + y * 10 + (3 - xx));
    }
    const y = batch(2, 2, 3, 4);
    randomHorizontalFlip({ p: 0 })(y, new Rng(0));
    expect(Array.from(y.data)).toEqual(Array.from(batch(2, 2, 3, 4).data));
  });

  it('flips about half the images with p = 0.5, seeded, with masks in step', () => {
    const x = batch(200, 1, 2, 3);
    const masks = intTensor(Array.from({ length: 200 * 6 }, (_, p) => p % 6), [200, 2, 3]);
    randomHorizontalFlip()(x, new Rng(8), masks);
    let flipped = 0;
    for (let i = 0; i < 200; i++) {
      const isFlipped = at(x, i, 0, 0, 0) !== 1 + i * 1000;
      if (isFlipped) flipped++;
      expect(masks.data[i * 6]).toBe(isFlipped ? 2 : 0);
    }
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
    const again = batch(200, 1, 2, 3);
    randomHorizontalFlip()(again, new Rng(8));
    expect(Array.from(again.data)).toEqual(Array.from(x.data));
  });
});

describe('composed augmentation', () => {
  it('keeps shapes and per-image value sets consistent with crop+flip', () => {
    const x = batch(4, 3, 8, 8);
    composeAugmentations(randomCrop({ padding: 0 }), randomHorizontalFlip({ p: 1 }))(x, new Rng(0));
    expect(at(x, 0, 0, 0, 0)).toBe(1 + 7);
  });

  it('padCropFlip: each image is its original shifted by at most 4 pixels (zero-filled), then mirrored or not', () => {
    const [n, c, h, w] = [24, 2, 6, 7];
    const original = batch(n, c, h, w);
    const x = original.clone();
    padCropFlip(4)(x, new Rng(5));
    expect(x.shape).toEqual([n, c, h, w]);
    let shifted = 0;
    let mirrored = 0;
    for (let i = 0; i < n; i++) {
      // Every (dy, dx, flip) that explains the whole image: crop by (dy, dx) first, then mirror.
      const explanations: [number, number, boolean][] = [];
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          for (const flip of [false, true]) {
            let ok = true;
            for (let ch = 0; ch < c && ok; ch++) {
              for (let y = 0; y < h && ok; y++) {
                for (let xx = 0; xx < w && ok; xx++) {
                  const sy = y + dy, sx = (flip ? w - 1 - xx : xx) + dx;
                  const expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? at(original, i, ch, sy, sx) : 0;
                  ok = at(x, i, ch, y, xx) === expected;
                }
              }
            }
            if (ok) explanations.push([dy, dx, flip]);
          }
        }
      }
      expect(explanations, `image ${i}`).toHaveLength(1);
      const [dy, dx, flip] = explanations[0]!;
      if (dy !== 0 || dx !== 0) shifted++;
      if (flip) mirrored++;
    }
    // Seeded: the shifts are uniform over 81 offsets and a flip has probability one half.
    expect(shifted).toBeGreaterThan(n / 2);
    expect(mirrored).toBeGreaterThan(4);
    expect(mirrored).toBeLessThan(n - 4);
  });
});
