import { inflateSync } from 'node:zlib';
import { DataError } from '../util/errors.js';

/**
 * A PNG decoder for dataset images and segmentation masks (PNG specification, W3C 2003):
 * every colour type (grey, RGB, palette, grey+alpha, RGBA), bit depths 1-16, all five scanline
 * filters, CRC-checked chunks. Interlaced (Adam7) files are rejected by name. Samples come out as
 * 8 bits per channel (16-bit samples keep their high byte), pixels interleaved (H, W, C).
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

export class PngFormatError extends DataError {
  override name = 'PngFormatError';
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples per pixel and allowed bit depths of each colour type (PNG spec §11.2.2, table 11.1). */
const COLOR_TYPES: Record<number, { samples: number; depths: number[]; name: string }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16], name: 'greyscale' },
  2: { samples: 3, depths: [8, 16], name: 'truecolour' },
  3: { samples: 1, depths: [1, 2, 4, 8], name: 'indexed' },
  4: { samples: 2, depths: [8, 16], name: 'greyscale with alpha' },
  6: { samples: 4, depths: [8, 16], name: 'truecolour with alpha' },
};

let crcTable: Uint32Array | null = null;

/** CRC-32 as used by PNG chunks (ISO 3309, polynomial 0xedb88320). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Decode a PNG file's bytes; `source` is named in every error. */
export function decodePng(bytes: Uint8Array, source: string, options: { rawSamples?: boolean } = {}): DecodedPng {
  const raw = options.rawSamples ?? false;
  const fail = (problem: string): never => {
    throw new PngFormatError(`PNG ${source}: ${problem}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, colorType = -1;
  let palette: Uint8Array | null = null;
  let transparency: Uint8Array | null = null;
  const compressed: Uint8Array[] = [];
  let offset = 8;
  let ended = false;
  while (!ended) {
    if (offset + 12 > bytes.length) fail(`truncated: chunk header at byte ${offset} runs past the end of the file`);
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const dataStart = offset + 8;
    const dataEnd = dataStart + length;
    if (dataEnd + 4 > bytes.length) fail(`truncated: chunk ${type} of ${length} bytes runs past the end of the file`);
    if (crc32(bytes, offset + 4, dataEnd) !== view.getUint32(dataEnd, false)) fail(`chunk ${type} at byte ${offset} fails its CRC check (corrupted)`);
    const data = bytes.subarray(dataStart, dataEnd);
    if (type === 'IHDR') {
      if (length !== 13) fail(`IHDR has ${length} bytes instead of 13`);
      width = view.getUint32(dataStart, false);
      height = view.getUint32(dataStart + 4, false);
      depth = data[8]!;
      colorType = data[9]!;
      if (data[10] !== 0 || data[11] !== 0) fail(`unknown compression method ${data[10]} or filter method ${data[11]}`);
      if (data[12] !== 0) fail('interlaced (Adam7) PNGs are not supported; save the image without interlacing');
    } else if (type === 'PLTE') {
      palette = data;
    } else if (type === 'tRNS') {
      transparency = data;
    } else if (type === 'IDAT') {
      compressed.push(data);
    } else if (type === 'IEND') {
      ended = true;
    } else if ((bytes[offset + 4]! & 0x20) === 0) {
      // Bit 5 of the first type letter marks an ancillary chunk, which a decoder may skip (§5.4).
      fail(`unknown critical chunk ${type}`);
    }
    offset = dataEnd + 4;
  }
  const format = COLOR_TYPES[colorType];
  if (!format) return fail(`unknown colour type ${colorType}`);
  if (!format.depths.includes(depth)) fail(`bit depth ${depth} is not allowed for ${format.name} images`);
  if (width === 0 || height === 0) fail(`empty image (${width}x${height})`);
  if (colorType === 3 && !palette) fail('indexed image without a PLTE chunk');
  if (compressed.length === 0) fail('no IDAT chunk (no pixel data)');

  let inflated: Uint8Array;
  try {
    inflated = inflateSync(Buffer.concat(compressed));
  } catch (error) {
    return fail(`pixel data does not decompress (${(error as Error).message})`);
  }
  const bitsPerPixel = format.samples * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  if (inflated.length < height * (stride + 1)) {
    fail(`pixel data is ${inflated.length} bytes, but ${height} rows of ${stride + 1} need ${height * (stride + 1)} (truncated)`);
  }
  const rows = unfilter(inflated, height, stride, Math.max(1, bitsPerPixel >> 3), fail);
  // Low-bit grey is rescaled to 0..255 for images; palette indices never are.
  const rescale = !raw && colorType === 0 && depth < 8;
  const samples = unpackSamples(rows, width, height, stride, format.samples, depth, rescale, raw, fail);

  if (colorType !== 3) return { width, height, channels: format.samples, data: samples, paletteIndices: false };
  if (raw) return { width, height, channels: 1, data: samples, paletteIndices: true };
  return expandPalette(samples, palette!, transparency, width, height, fail);
}

/** Undo the per-scanline filters (§9.2): None, Sub, Up, Average, Paeth. */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number, fail: (p: string) => never): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const input = y * (stride + 1) + 1;
    const row = y * stride;
    const previous = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[row + i - bpp]! : 0;
      const b = y > 0 ? out[previous + i]! : 0;
      const c = y > 0 && i >= bpp ? out[previous + i - bpp]! : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: return fail(`row ${y} has unknown filter type ${filter}`);
      }
      out[row + i] = (raw[input + i]! + predictor) & 0xff;
    }
  }
  return out;
}

/**
 * Samples to one byte each: sub-byte depths unpacked (optionally rescaled to 0..255); 16-bit
 * samples keep their high byte, or with `exact16` must be below 256 and keep their value.
 */
function unpackSamples(
  rows: Uint8Array, width: number, height: number, stride: number, samples: number, depth: number,
  rescale: boolean, exact16: boolean, fail: (p: string) => never,
): Uint8Array {
  const perRow = width * samples;
  if (depth === 8) return stride === perRow ? rows : rows.slice(0, height * perRow);
  const out = new Uint8Array(height * perRow);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      if (depth === 16) {
        const high = rows[y * stride + 2 * i]!;
        if (exact16 && high !== 0) fail(`16-bit value ${high * 256 + rows[y * stride + 2 * i + 1]!} at row ${y} does not fit a byte class index`);
        out[y * perRow + i] = exact16 ? rows[y * stride + 2 * i + 1]! : high;
      } else {
        const bit = i * depth;
        const value = (rows[y * stride + (bit >> 3)]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
        out[y * perRow + i] = rescale ? Math.round((value * 255) / ((1 << depth) - 1)) : value;
      }
    }
  }
  return out;
}

function expandPalette(
  indices: Uint8Array, palette: Uint8Array, transparency: Uint8Array | null, width: number, height: number, fail: (p: string) => never,
): DecodedPng {
  const entries = palette.length / 3;
  const channels = transparency ? 4 : 3;
  const data = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const index = indices[p]!;
    if (index >= entries) fail(`pixel ${p} uses palette entry ${index}, but the palette has ${entries}`);
    data[p * channels] = palette[3 * index]!;
    data[p * channels + 1] = palette[3 * index + 1]!;
    data[p * channels + 2] = palette[3 * index + 2]!;
    if (transparency) data[p * channels + 3] = index < transparency.length ? transparency[index]! : 255;
  }
  return { width, height, channels, data, paletteIndices: false };
}
