import { decode, hasPngSignature, type IndexedColors } from 'fast-png';
import { DataError } from '../util/errors.js';

/**
 * PNG files for dataset images and segmentation masks, decoded by `fast-png` (every colour type,
 * bit depths 1-16, all scanline filters, Adam7 interlacing at 8 and 16 bits, CRC-checked chunks;
 * pure JavaScript, so it runs in the browser too). This file turns its output into what datasets need: samples as
 * 8 bits per channel (16-bit samples keep their high byte), pixels interleaved (H, W, C), palette
 * images expanded to RGB(A).
 *
 * With `rawSamples` (for segmentation masks) values come out as stored: palette images keep their
 * indices — masks are often saved that way (e.g. Pascal VOC), and there the index is the class —
 * low-bit grey is not rescaled, and 16-bit values must fit in a byte.
 */

export interface DecodedPng {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA (a palette image expands to 3 or 4, or stays 1 as indices). */
  channels: number;
  /** height * width * channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
  /** Whether `data` holds palette indices (only with `rawSamples`). */
  paletteIndices: boolean;
}

/** A file that is not a PNG, or a broken one; the message starts with `PNG <source>:`. */
export class PngFormatError extends DataError {
  override name = 'PngFormatError';
}

/** Decode a PNG file's bytes; `source` (a path or name) is named in every error. */
export function decodePng(bytes: Uint8Array, source: string, options: { rawSamples?: boolean } = {}): DecodedPng {
  const raw = options.rawSamples ?? false;
  const fail = (problem: string): never => {
    throw new PngFormatError(`PNG ${source}: ${problem}`);
  };
  if (!hasPngSignature(bytes)) fail('not a PNG file (bad signature)');
  // IHDR is the first chunk (bytes 8-32): bit depth at 24, interlace method at 28. fast-png 8's
  // Adam7 path assumes whole bytes per pixel, so it would misread 1/2/4-bit interlaced files.
  if (bytes.length > 28 && bytes[28] === 1 && bytes[24]! < 8) {
    fail(`interlaced (Adam7) PNGs with ${bytes[24]}-bit samples are not supported; save it without interlacing or at 8 bits`);
  }
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (error) {
    // fast-png reads past the end of a cut-off file as a RangeError from its DataView.
    const message = (error as Error).message;
    return fail(error instanceof RangeError ? `truncated or corrupted (${message})` : message);
  }
  const { width, height, depth, channels, palette } = png;
  if (width === 0 || height === 0) fail(`empty image (${width}x${height})`);
  // PNG spec §11.2.2 table 11.1: sub-byte depths only for grey and palette images.
  if (channels !== 1 && depth < 8) fail(`bit depth ${depth} is not allowed for ${channels}-channel images`);
  // Low-bit grey is rescaled to 0..255 for images; palette indices never are.
  const samples = toBytes(png.data, width, height, channels, depth, !raw && !palette && depth < 8, raw, fail);
  if (!palette) return { width, height, channels, data: samples, paletteIndices: false };
  if (raw) return { width, height, channels: 1, data: samples, paletteIndices: true };
  return expandPalette(samples, palette, width, height, fail);
}

/**
 * Samples to one byte each: sub-byte depths (rows padded to whole bytes) unpacked and optionally
 * rescaled to 0..255; 16-bit samples keep their high byte, or with `exact16` must be below 256.
 */
function toBytes(
  data: Uint8Array | Uint8ClampedArray | Uint16Array, width: number, height: number, channels: number, depth: number,
  rescale: boolean, exact16: boolean, fail: (problem: string) => never,
): Uint8Array {
  const perRow = width * channels;
  if (depth === 8) return new Uint8Array(data.buffer, data.byteOffset, perRow * height);
  const out = new Uint8Array(height * perRow);
  if (depth === 16) {
    for (let i = 0; i < out.length; i++) {
      const value = data[i]!;
      if (exact16 && value > 255) fail(`16-bit value ${value} at row ${Math.floor(i / perRow)} does not fit a byte class index`);
      out[i] = exact16 ? value : value >> 8;
    }
    return out;
  }
  const stride = Math.ceil((perRow * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const value = (data[y * stride + (bit >> 3)]! >> (8 - depth - (bit & 7))) & max;
      out[y * perRow + i] = rescale ? Math.round((value * 255) / max) : value;
    }
  }
  return out;
}

/** Palette indices to RGB, or RGBA when the file has transparency (fast-png's 4-entry colours). */
function expandPalette(indices: Uint8Array, palette: IndexedColors, width: number, height: number, fail: (problem: string) => never): DecodedPng {
  const channels = palette.some((colour) => colour.length === 4) ? 4 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const colour = palette[indices[p]!];
    if (!colour) fail(`pixel ${p} uses palette entry ${indices[p]}, but the palette has ${palette.length}`);
    for (let c = 0; c < channels; c++) data[p * channels + c] = colour![c] ?? 255;
  }
  return { width, height, channels, data, paletteIndices: false };
}
