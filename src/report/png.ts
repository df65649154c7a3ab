/**
 * PNG files for pictures embedded in reports (predicted segmentation masks, input digits): 8-bit
 * grey, grey+alpha, RGB or RGBA, encoded by `fast-png` (the library `data/png.ts` decodes with).
 * Deterministic: the same pixels give the same bytes.
 */
import { encode } from 'fast-png';

export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** height × width × channels bytes, row-major, channels interleaved. */
  readonly data: Uint8Array;
}

/** Encode pixels as a PNG file's bytes. */
export function encodePng(image: RasterImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw new Error(`report/png: width and height must be integers from 1 to 16384, got ${width} × ${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`report/png: channels must be 1, 2, 3 or 4, got ${channels}`);
  const rowBytes = width * channels;
  if (data.length !== rowBytes * height) throw new Error(`report/png: data has ${data.length} bytes, expected ${height} × ${width} × ${channels} = ${rowBytes * height}`);
  return encode({ width, height, channels, depth: 8, data });
}

/** A `data:image/png;base64,…` URL for an image block of a report. */
export function pngDataUrl(image: RasterImage): string {
  return `data:image/png;base64,${Buffer.from(encodePng(image)).toString('base64')}`;
}
