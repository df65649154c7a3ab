import { crc32, deflateSync } from 'node:zlib';

/**
 * A small PNG encoder for tests: any colour type and bit depth, and a chosen filter per row, so
 * the decoder's unfiltering is exercised for all five filters. It uses Node's zlib CRC, not the
 * decoder's own.
 */
export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** Sample values, row-major, channels interleaved (palette indices for colour type 3). */
  samples: ArrayLike<number>;
  palette?: number[];
  transparency?: number[];
  /** Filter type per row (cycles); default none. */
  filters?: number[];
  interlaced?: boolean;
}

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, false);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)), false);
  return out;
}

/** Adam7 passes (PNG spec §8.2): first column and row, then the step between pixels. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Pack and filter the scanlines of one (sub-)image whose pixel (x, y) is `sampleAt(x, y, i)`. */
function scanlines(spec: PngSpec, width: number, height: number, sampleAt: (x: number, y: number, i: number) => number): Uint8Array {
  const { colorType, depth } = spec;
  const perPixel = SAMPLES[colorType]!;
  const bitsPerPixel = perPixel * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * perPixel; i++) {
      const v = sampleAt(Math.floor(i / perPixel), y, i % perPixel);
      if (depth === 16) {
        rows[y * stride + 2 * i] = v >> 8;
        rows[y * stride + 2 * i + 1] = v & 0xff;
      } else if (depth === 8) {
        rows[y * stride + i] = v;
      } else {
        const bit = i * depth;
        rows[y * stride + (bit >> 3)]! |= v << (8 - depth - (bit & 7));
      }
    }
  }
  const filtered = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const filter = spec.filters ? spec.filters[y % spec.filters.length]! : 0;
    filtered[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const raw = rows[y * stride + i]!;
      const a = i >= bpp ? rows[y * stride + i - bpp]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + i]! : 0;
      const c = y > 0 && i >= bpp ? rows[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      filtered[y * (stride + 1) + 1 + i] = (raw - predictor) & 0xff;
    }
  }
  return filtered;
}

export function encodePng(spec: PngSpec): Uint8Array {
  const { width, height, colorType, depth, samples } = spec;
  const perPixel = SAMPLES[colorType]!;
  const at = (x: number, y: number, i: number) => samples[(y * width + x) * perPixel + i]!;
  // An interlaced file holds the seven passes' scanlines one after another, each filtered alone.
  const filtered = !spec.interlaced ? scanlines(spec, width, height, at) : Buffer.concat(ADAM7.map(([x0, y0, dx, dy]) => {
    const w = Math.ceil((width - x0) / dx), h = Math.ceil((height - y0) / dy);
    return w > 0 && h > 0 ? scanlines(spec, w, h, (x, y, i) => at(x0 + x * dx, y0 + y * dy, i)) : new Uint8Array(0);
  }));
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width, false);
  view.setUint32(4, height, false);
  header.set([depth, colorType, 0, 0, spec.interlaced ? 1 : 0], 8);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header)];
  if (spec.palette) parts.push(chunk('PLTE', Uint8Array.from(spec.palette)));
  if (spec.transparency) parts.push(chunk('tRNS', Uint8Array.from(spec.transparency)));
  parts.push(chunk('tEXt', Buffer.from('Comment\0made by a skiplab test', 'latin1')));
  parts.push(chunk('IDAT', deflateSync(filtered)), chunk('IEND', new Uint8Array()));
  return new Uint8Array(Buffer.concat(parts)); // a plain array: Buffer.slice() would share memory
}
