import { ImageDataset } from './dataset.js';
import { decodeImage } from './image-decode.js';
import { centerCrop, resizeShorterSide, toChannels } from './image-resize.js';

/**
 * Image files of several classes to one in-memory dataset, the way torchvision's `ImageFolder`
 * with `Resize(resize)` and `CenterCrop(size)` would load them: every image, of any size, is
 * resized so its shorter side is `resize`, then cropped to `size` at its centre, and converted to
 * the requested channels. Runs anywhere (no file system): `loadImageFolder` feeds it from disk,
 * a web page can feed it files a user dropped.
 */

/** The shape every image of the dataset is brought to. */
export interface ImageTransformOptions {
  /** Side of the square crop, or [height, width] (default 32). */
  size?: number | readonly [number, number];
  /** Shorter side after resizing, before the crop (default: the crop's larger side). */
  resize?: number;
  /** 3 (RGB, default) or 1 (grey, ITU-R 601-2 luma as PIL's convert('L')). */
  channels?: 1 | 3;
}

/** One labelled image file. */
export interface ImageFile {
  /** Its class; labels are the classes' indices in `classNames`. */
  className: string;
  /** Where it came from (a path or name), named in errors. */
  source: string;
  /** The PNG or JPEG file's bytes. */
  bytes: Uint8Array;
}

/** The checked (height, width, resize, channels) of a transform. */
export function imageTransform(options: ImageTransformOptions = {}): { height: number; width: number; resize: number; channels: 1 | 3 } {
  const [height, width] = typeof options.size === 'number' ? [options.size, options.size] : options.size ?? [32, 32];
  const resize = options.resize ?? Math.max(height, width);
  const channels = options.channels ?? 3;
  for (const [name, value] of Object.entries({ 'size (height)': height, 'size (width)': width, resize })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`image transform: ${name} must be a positive integer, got ${value}`);
  }
  if (resize < Math.max(height, width)) throw new Error(`image transform: resize ${resize} is smaller than the ${height}x${width} crop (the shorter side must cover it)`);
  if (channels !== 1 && channels !== 3) throw new Error(`image transform: channels must be 1 or 3, got ${String(channels)}`);
  return { height, width, resize, channels };
}

/**
 * Decode, resize, crop and label `files`. `classNames` fixes the label order (default: the
 * classes found, sorted as torchvision sorts folder names); a file of another class is an error.
 *
 * @example
 *   const data = imageDatasetFromFiles([{ className: 'cat', source: 'cat1.jpg', bytes }], { size: 64 });
 */
export function imageDatasetFromFiles(files: readonly ImageFile[], options: ImageTransformOptions & { classNames?: readonly string[] } = {}): ImageDataset {
  const { height, width, resize, channels } = imageTransform(options);
  const classNames = options.classNames ?? [...new Set(files.map((f) => f.className))].sort();
  if (classNames.length > 256) throw new Error(`image files: ${classNames.length} classes, but labels are bytes (at most 256 classes)`);
  const labelOf = new Map(classNames.map((name, index) => [name, index]));
  const imageSize = channels * height * width;
  const images = new Uint8Array(files.length * imageSize);
  const labels = new Uint8Array(files.length);
  files.forEach((file, n) => {
    const label = labelOf.get(file.className);
    if (label === undefined) throw new Error(`image files: ${file.source} is of class '${file.className}', which is not one of ${classNames.join(', ')}`);
    labels[n] = label;
    let image = toChannels(decodeImage(file.bytes, file.source), channels);
    image = centerCrop(resizeShorterSide(image, resize), height, width);
    // (H, W, C) interleaved to the dataset's (C, H, W).
    const base = n * imageSize;
    for (let p = 0; p < height * width; p++) {
      for (let c = 0; c < channels; c++) images[base + c * height * width + p] = image.data[p * channels + c]!;
    }
  });
  return new ImageDataset({ images, labels, count: files.length, channels, height, width, classNames, numClasses: classNames.length });
}
