import type { Rng } from '../tensor/rng.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Seeded data augmentation on a float batch (N, C, H, W), in place. When the batch has per-pixel
 * targets (N, H, W) they get the same geometric transform, so a segmentation mask stays aligned
 * with its image. Every random draw comes from the `Rng` passed in, in a fixed order (image by
 * image), so a seed fixes the augmented batch exactly.
 */
export type BatchAugmentation = (x: Tensor, rng: Rng, masks?: Tensor) => void;

function dims(x: Tensor, op: string, masks?: Tensor): [number, number, number, number] {
  if (x.ndim !== 4 || x.dtype !== 'float32') throw new Error(`${op}: expected a float32 batch (N, C, H, W), got ${x.dtype} ${formatShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (masks && (masks.ndim !== 3 || masks.shape[0] !== n || masks.shape[1] !== h || masks.shape[2] !== w)) {
    throw new Error(`${op}: masks ${formatShape(masks.shape)} do not match the batch ${formatShape(x.shape)}; expected [${n}, ${h}, ${w}]`);
  }
  return [n, c, h, w];
}

/**
 * Shift `planes` consecutive (h, w) planes starting at `offset` by (dy, dx), filling uncovered
 * pixels with `fill`: out[y][x] = in[y + dy][x + dx]. `scratch` holds the original planes.
 */
function shiftPlanes<T extends Float32Array | Int32Array>(
  data: T, offset: number, planes: number, h: number, w: number, dy: number, dx: number, fill: number, scratch: T,
): void {
  const size = planes * h * w;
  for (let i = 0; i < size; i++) scratch[i] = data[offset + i]!;
  const x0 = Math.max(0, -dx);
  const x1 = Math.min(w, w - dx);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < h; y++) {
      const row = offset + (p * h + y) * w;
      const sourceY = y + dy;
      if (sourceY < 0 || sourceY >= h || x1 <= x0) {
        for (let x = 0; x < w; x++) data[row + x] = fill;
        continue;
      }
      // Plain index loops: per-row subarray views would allocate thousands of objects per batch.
      const sourceRow = (p * h + sourceY) * w + dx;
      for (let x = 0; x < x0; x++) data[row + x] = fill;
      for (let x = x0; x < x1; x++) data[row + x] = scratch[sourceRow + x]!;
      for (let x = x1; x < w; x++) data[row + x] = fill;
    }
  }
}

/** Padding (pixels) around the image before a random crop of the original size, and the fill values of images and masks. */
export interface RandomCropOptions {
  /** Pixels of padding on each side; the crop offset is uniform in [-padding, padding]. */
  padding: number;
  /** Value of padded pixels in the (normalised) batch; 0 = the channel mean after normalisation. */
  fill?: number;
  /** Class of padded mask pixels (background). */
  maskFill?: number;
}

/**
 * Pad every image by `padding` pixels and crop back to its size at a random offset — the CIFAR
 * augmentation of He et al. 2015 (§4.2: "4 pixels are padded on each side, and a 32×32 crop is
 * randomly sampled from the padded image"). Padding with 0 after normalisation pads with the
 * mean colour, as in fb.resnet.torch; pass `fill` for another value.
 */
export function randomCrop(options: RandomCropOptions): BatchAugmentation {
  const { padding, fill = 0, maskFill = 0 } = options;
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  let scratch = new Float32Array(0);
  let maskScratch = new Int32Array(0);
  return (x, rng, masks) => {
    const [n, c, h, w] = dims(x, 'randomCrop', masks);
    const imageSize = c * h * w;
    if (scratch.length < imageSize) scratch = new Float32Array(imageSize);
    if (masks && maskScratch.length < h * w) maskScratch = new Int32Array(h * w);
    const data = x.f32;
    for (let i = 0; i < n; i++) {
      const dy = rng.int(2 * padding + 1) - padding;
      const dx = rng.int(2 * padding + 1) - padding;
      if (dy === 0 && dx === 0) continue;
      shiftPlanes(data, i * imageSize, c, h, w, dy, dx, fill, scratch);
      if (masks) shiftPlanes(masks.i32, i * h * w, 1, h, w, dy, dx, maskFill, maskScratch);
    }
  };
}

function reverseRows(data: Float32Array | Int32Array, offset: number, rows: number, w: number): void {
  for (let r = 0; r < rows; r++) {
    let left = offset + r * w;
    let right = left + w - 1;
    while (left < right) {
      const t = data[left]!;
      data[left++] = data[right]!;
      data[right--] = t;
    }
  }
}

/** Mirror each image left-right with probability `p` (He et al. 2015 §4.2 use 0.5). */
export function randomHorizontalFlip(options: { p?: number } = {}): BatchAugmentation {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0, 1], got ${p}`);
  return (x, rng, masks) => {
    const [n, c, h, w] = dims(x, 'randomHorizontalFlip', masks);
    for (let i = 0; i < n; i++) {
      if (rng.uniform() >= p) continue;
      reverseRows(x.f32, i * c * h * w, c * h, w);
      if (masks) reverseRows(masks.i32, i * h * w, h, w);
    }
  };
}

/** Apply augmentations in order. */
export function composeAugmentations(...augmentations: BatchAugmentation[]): BatchAugmentation {
  return (x, rng, masks) => {
    for (const augment of augmentations) augment(x, rng, masks);
  };
}

/** He et al.'s CIFAR recipe: pad 4 and random-crop, then random horizontal flip. */
export function padCropFlip(padding = 4): BatchAugmentation {
  return composeAugmentations(randomCrop({ padding }), randomHorizontalFlip());
}
