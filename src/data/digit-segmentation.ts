import { Rng } from '../tensor/rng.js';
import { ImageDataset, type ImageSet, type Split } from './dataset.js';
import { loadMnist, type MnistOptions } from './mnist.js';

/**
 * A segmentation set for U-Net experiments, composed from real MNIST digits: each canvas (default
 * 64x64, black) gets 1-3 digits pasted at seeded random positions, and every pixel is labelled
 *
 *   labels 'digit' (default): 0 = background, 1 + d = a stroke of digit d   (11 classes)
 *   labels 'binary':          0 = background, 1 = a stroke of any digit     (2 classes)
 *
 * A pixel is a stroke when its grey level is at least `threshold` (default 128), so the label is
 * a fixed function of the image and the faint anti-aliased rim counts as background. Digits are
 * placed so that no two digits' non-zero pixels touch the same canvas pixel (up to 20 tries per
 * digit, then the digit is left out), which keeps every pixel's class unambiguous. The per-image
 * label of the dataset is the number of digits actually placed.
 *
 * Train canvases use MNIST's training digits and test canvases its test digits, so no digit is in
 * both splits.
 */

export type DigitSegmentationLabels = 'digit' | 'binary';

export interface DigitSegmentationOptions {
  /** Number of canvases. */
  count: number;
  /** Canvas side in pixels (default 64). */
  size?: number;
  minDigits?: number;
  maxDigits?: number;
  /** Grey level from which a pixel is a stroke (default 128). */
  threshold?: number;
  labels?: DigitSegmentationLabels;
  seed?: number;
  rng?: Rng;
}

const PLACEMENT_TRIES = 20;

/** Compose canvases from the digits of `source` (1-channel images with labels 0..9). */
export function composeDigitSegmentation(source: ImageSet, options: DigitSegmentationOptions): ImageDataset {
  const { count, size = 64, minDigits = 1, maxDigits = 3, threshold = 128, labels: labelKind = 'digit' } = options;
  const where = 'composeDigitSegmentation';
  if (source.channels !== 1) throw new Error(`${where}: source images must have 1 channel, got ${source.channels}`);
  if (source.count === 0) throw new Error(`${where}: the source has no images`);
  if (!Number.isInteger(count) || count < 0) throw new Error(`${where}: count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(size) || size < source.height || size < source.width) {
    throw new Error(`${where}: canvas size ${size} is smaller than a ${source.height}x${source.width} digit`);
  }
  if (!Number.isInteger(minDigits) || !Number.isInteger(maxDigits) || minDigits < 0 || maxDigits < minDigits) {
    throw new Error(`${where}: need integers 0 <= minDigits <= maxDigits, got ${minDigits} and ${maxDigits}`);
  }
  if (labelKind !== 'digit' && labelKind !== 'binary') throw new Error(`${where}: labels must be 'digit' or 'binary', got '${String(labelKind)}'`);
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  const { height: dh, width: dw } = source;
  const canvasPixels = size * size;
  const images = new Uint8Array(count * canvasPixels);
  const masks = new Uint8Array(count * canvasPixels);
  const digitCounts = new Uint8Array(count);

  for (let i = 0; i < count; i++) {
    const canvas = images.subarray(i * canvasPixels, (i + 1) * canvasPixels);
    const mask = masks.subarray(i * canvasPixels, (i + 1) * canvasPixels);
    const wanted = minDigits + rng.int(maxDigits - minDigits + 1);
    let placed = 0;
    for (let d = 0; d < wanted; d++) {
      const digitIndex = rng.int(source.count);
      const digit = source.images.subarray(digitIndex * dh * dw, (digitIndex + 1) * dh * dw);
      const cls = labelKind === 'digit' ? 1 + source.labels[digitIndex]! : 1;
      for (let attempt = 0; attempt < PLACEMENT_TRIES; attempt++) {
        const top = rng.int(size - dh + 1);
        const left = rng.int(size - dw + 1);
        if (collides(canvas, size, digit, dh, dw, top, left)) continue;
        for (let y = 0; y < dh; y++) {
          for (let x = 0; x < dw; x++) {
            const v = digit[y * dw + x]!;
            if (v === 0) continue;
            const p = (top + y) * size + left + x;
            canvas[p] = v;
            if (v >= threshold) mask[p] = cls;
          }
        }
        placed++;
        break;
      }
    }
    digitCounts[i] = placed;
  }
  return new ImageDataset({
    images, labels: digitCounts, masks, count, channels: 1, height: size, width: size,
    classNames: labelKind === 'digit' ? ['background', ...Array.from({ length: 10 }, (_, d) => `digit ${d}`)] : ['background', 'digit'],
  });
}

/** Whether a digit's non-zero pixels at (top, left) would land on non-zero canvas pixels. */
function collides(canvas: Uint8Array, size: number, digit: Uint8Array, dh: number, dw: number, top: number, left: number): boolean {
  for (let y = 0; y < dh; y++) {
    const row = (top + y) * size + left;
    for (let x = 0; x < dw; x++) if (digit[y * dw + x]! !== 0 && canvas[row + x]! !== 0) return true;
  }
  return false;
}

/**
 * The digit-segmentation split composed from the matching MNIST split; the seed defaults to 0 for
 * train and 1 for test.
 *
 * @example const train = loadDigitSegmentation('train', { count: 2000 }); // masks (2000, 64, 64)
 */
export function loadDigitSegmentation(split: Split, options: DigitSegmentationOptions & MnistOptions): ImageDataset {
  return composeDigitSegmentation(loadMnist(split, options), { ...options, seed: options.seed ?? (split === 'train' ? 0 : 1) });
}
