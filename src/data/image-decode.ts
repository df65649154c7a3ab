import { decode as decodeJpegBytes } from 'jpeg-js';
import { decodePng } from './png.js';

/**
 * Image files to pixels: PNG through `fast-png` (see png.ts) and JPEG (baseline and progressive)
 * through `jpeg-js`, both pure JavaScript so the same code runs in Node and in a browser bundle.
 * The format is told by the file's first bytes, not its name.
 */

/** Pixels of one image: height × width × channels bytes, row-major, channels interleaved. */
export interface DecodedImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
  data: Uint8Array;
}

/** A file that is neither a readable PNG nor a readable JPEG; the message names the file. */
export class ImageFormatError extends Error {
  override name = 'ImageFormatError';
}

/** JPEG files start with an SOI marker followed by another marker (JPEG spec, ITU T.81 §B.1.1.3). */
const isJpeg = (bytes: Uint8Array): boolean => bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
const isPng = (bytes: Uint8Array): boolean => bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;

/**
 * Decode a PNG or JPEG file's bytes; `source` (a path or name) is named in every error. JPEGs come
 * out as RGB (grey JPEGs too), PNGs with their own channels (palettes expanded).
 *
 * @example
 *   const image = decodeImage(readFileSync('cat.jpg'), 'cat.jpg'); // { width, height, channels: 3, data }
 */
export function decodeImage(bytes: Uint8Array, source: string): DecodedImage {
  if (isPng(bytes)) {
    try {
      const { width, height, channels, data } = decodePng(bytes, source);
      return { width, height, channels, data };
    } catch (error) {
      throw new ImageFormatError((error as Error).message);
    }
  }
  if (isJpeg(bytes)) {
    try {
      // Not tolerant: a cut-off file is an error (as PIL's default), never a half-grey image.
      const { width, height, data } = decodeJpegBytes(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
      if (width === 0 || height === 0) throw new Error(`empty image (${width}x${height})`);
      return { width, height, channels: 3, data };
    } catch (error) {
      throw new ImageFormatError(`JPEG ${source}: ${(error as Error).message ?? String(error)}`);
    }
  }
  const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new ImageFormatError(`${source}: not a PNG or JPEG file (it starts with bytes ${start || '(empty file)'})`);
}
