/**
 * A minimal PNG encoder for pictures embedded in reports (predicted segmentation masks, input
 * digits): 8-bit grey, grey+alpha, RGB or RGBA, filter 0 on every scanline, one IDAT chunk
 * (PNG specification, W3C 2003, §5 and §11). Deterministic: the same pixels give the same bytes.
 * Decoding lives in `data/png.ts`; its CRC-32 is reused here.
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../data/png.js';

export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** height × width × channels bytes, row-major, channels interleaved. */
  readonly data: Uint8Array;
}

/** PNG colour type per channel count (PNG spec table 11.1). */
const colorTypeOf = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, false);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length), false);
  return out;
}

/** Encode pixels as a PNG file's bytes. */
export function encodePng(image: RasterImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 16384 || height > 16384) {
    throw new Error(`report/png: width and height must be integers from 1 to 16384, got ${width} × ${height}`);
  }
  if (!(channels in colorTypeOf)) throw new Error(`report/png: channels must be 1, 2, 3 or 4, got ${channels}`);
  const rowBytes = width * channels;
  if (data.length !== rowBytes * height) throw new Error(`report/png: data has ${data.length} bytes, expected ${height} × ${width} × ${channels} = ${rowBytes * height}`);
  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width, false);
  headerView.setUint32(4, height, false);
  header[8] = 8; // bit depth
  header[9] = colorTypeOf[channels];
  // Bytes 10-12: compression 0 (deflate), filter method 0, no interlace.
  const scanlines = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    scanlines[y * (rowBytes + 1)] = 0; // filter type None
    scanlines.set(data.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', new Uint8Array(deflateSync(scanlines, { level: 9 }))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A `data:image/png;base64,…` URL for an image block of a report. */
export function pngDataUrl(image: RasterImage): string {
  return `data:image/png;base64,${Buffer.from(encodePng(image)).toString('base64')}`;
}
