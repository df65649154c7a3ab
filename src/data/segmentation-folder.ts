import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { ImageDataset } from './dataset.js';
import { decodePng, type DecodedPng } from './png.js';
import { DataError } from '../util/errors.js';

/**
 * A segmentation dataset from two folders of PNG files: `imagesDir/NAME.png` is an image and
 * `masksDir/NAME{maskSuffix}.png` its mask, one class index per pixel stored as greyscale or as
 * palette indices (the Pascal VOC convention). Images are read in file-name order, alpha is
 * dropped, and every image and mask must have the size of the first image.
 *
 * @example const train = loadSegmentationFolder({ imagesDir: 'data/images', masksDir: 'data/masks' });
 */

export interface SegmentationFolderOptions {
  imagesDir: string;
  masksDir: string;
  /** Channels of the dataset: 1 (RGB converted to luma) or 3 (grey replicated); default: of the first image. */
  channels?: 1 | 3;
  /** The mask of NAME.png is NAME{maskSuffix}.png (default ''). */
  maskSuffix?: string;
  /** When given, a mask value at or above it is an error (except `ignoreIndex`). */
  numClasses?: number;
  /** A mask value meaning "not labelled", allowed beyond numClasses (e.g. 255 in Pascal VOC). */
  ignoreIndex?: number;
  classNames?: readonly string[];
}

function readPng(path: string, rawSamples: boolean): DecodedPng {
  return decodePng(readFileSync(path), path, { rawSamples });
}

/** Image pixels (H, W, C interleaved, alpha dropped) into `out` as (C, H, W) with `channels` channels. */
function toPlanes(png: DecodedPng, channels: 1 | 3, out: Uint8Array, offset: number): void {
  const plane = png.width * png.height;
  const colour = png.channels >= 3;
  for (let p = 0; p < plane; p++) {
    const s = p * png.channels;
    if (channels === 3) {
      out[offset + p] = png.data[s]!;
      out[offset + plane + p] = png.data[colour ? s + 1 : s]!;
      out[offset + 2 * plane + p] = png.data[colour ? s + 2 : s]!;
    } else {
      // ITU-R BT.601 luma, the weights PIL's convert('L') uses.
      out[offset + p] = colour ? Math.round(0.299 * png.data[s]! + 0.587 * png.data[s + 1]! + 0.114 * png.data[s + 2]!) : png.data[s]!;
    }
  }
}

export function loadSegmentationFolder(options: SegmentationFolderOptions): ImageDataset {
  const { imagesDir, masksDir, maskSuffix = '', numClasses, ignoreIndex } = options;
  const where = 'segmentation folder';
  for (const [name, dir] of [['imagesDir', imagesDir], ['masksDir', masksDir]] as const) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`${where}: ${name} ${dir} is not a directory; expected a folder of .png files`);
  }
  const names = readdirSync(imagesDir).filter((f) => extname(f).toLowerCase() === '.png').sort();
  if (names.length === 0) throw new DataError(`${where}: no .png images in ${imagesDir}`);

  let channels: 1 | 3 | undefined = options.channels;
  let height = 0;
  let width = 0;
  let images = new Uint8Array(0);
  let masks = new Uint8Array(0);
  let maxClass = -1;
  names.forEach((name, i) => {
    const imagePath = join(imagesDir, name);
    const maskPath = join(masksDir, `${basename(name, extname(name))}${maskSuffix}.png`);
    if (!existsSync(maskPath)) throw new DataError(`${where}: image ${imagePath} has no mask; expected ${maskPath}`);
    const image = readPng(imagePath, false);
    if (i === 0) {
      ({ height, width } = image);
      channels ??= image.channels >= 3 ? 3 : 1;
      images = new Uint8Array(names.length * channels * height * width);
      masks = new Uint8Array(names.length * height * width);
    }
    if (image.height !== height || image.width !== width) {
      throw new DataError(`${where}: ${imagePath} is ${image.width}x${image.height}, but ${join(imagesDir, names[0]!)} is ${width}x${height}; all images must have one size`);
    }
    toPlanes(image, channels!, images, i * channels! * height * width);

    const mask = readPng(maskPath, true);
    if (mask.channels > 2) throw new DataError(`${where}: mask ${maskPath} is a colour image; masks must hold class indices as greyscale or palette PNGs`);
    if (mask.height !== height || mask.width !== width) {
      throw new DataError(`${where}: mask ${maskPath} is ${mask.width}x${mask.height}, but its image is ${width}x${height}`);
    }
    const base = i * height * width;
    for (let p = 0; p < height * width; p++) {
      const value = mask.data[p * mask.channels]!;
      if (value === ignoreIndex) {
        masks[base + p] = value;
        continue;
      }
      if (numClasses !== undefined && value >= numClasses) {
        throw new DataError(`${where}: mask ${maskPath} has class ${value} at pixel (${Math.floor(p / width)}, ${p % width}), but numClasses is ${numClasses}`);
      }
      if (value > maxClass) maxClass = value;
      masks[base + p] = value;
    }
  });
  return new ImageDataset({
    images, masks, labels: new Uint8Array(names.length), count: names.length, channels: channels!, height, width,
    classNames: options.classNames, numClasses: numClasses ?? options.classNames?.length ?? maxClass + 1,
  });
}
