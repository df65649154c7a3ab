import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePng, PngFormatError } from '../../src/data/png.js';
import { encodePng } from './png-writer.js';

const value = (y: number, x: number, c: number) => (y * 37 + x * 11 + c * 71) & 255;

function pattern(width: number, height: number, channels: number, max = 255): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) out.push(value(y, x, c) % (max + 1));
  return out;
}

describe('PNG decoder', () => {
  it('undoes all five row filters for every 8-bit colour type', () => {
    for (const [colorType, channels] of [[0, 1], [2, 3], [4, 2], [6, 4]] as const) {
      const samples = pattern(9, 10, channels);
      const png = decodePng(encodePng({ width: 9, height: 10, colorType, depth: 8, samples, filters: [0, 1, 2, 3, 4] }), 'x.png');
      expect([png.width, png.height, png.channels], `colour type ${colorType}`).toEqual([9, 10, channels]);
      expect(Array.from(png.data), `colour type ${colorType}`).toEqual(samples);
    }
  });

  it('keeps the high byte of 16-bit samples (or the exact value for raw masks)', () => {
    const samples = pattern(5, 4, 3).map((v) => v * 256 + 3);
    const png = decodePng(encodePng({ width: 5, height: 4, colorType: 2, depth: 16, samples, filters: [4, 3] }), 'x.png');
    expect(Array.from(png.data)).toEqual(pattern(5, 4, 3));
    const mask = encodePng({ width: 2, height: 1, colorType: 0, depth: 16, samples: [7, 255] });
    expect(Array.from(decodePng(mask, 'm.png', { rawSamples: true }).data)).toEqual([7, 255]);
    const tooBig = encodePng({ width: 1, height: 1, colorType: 0, depth: 16, samples: [300] });
    expect(() => decodePng(tooBig, 'm.png', { rawSamples: true })).toThrow(/16-bit value 300 at row 0 does not fit a byte class index/);
  });

  it('unpacks 1/2/4-bit greyscale, rescaled for images and as stored for masks', () => {
    for (const depth of [1, 2, 4] as const) {
      const max = (1 << depth) - 1;
      const samples = pattern(11, 3, 1, max);
      const bytes = encodePng({ width: 11, height: 3, colorType: 0, depth, samples, filters: [1, 2, 4] });
      expect(Array.from(decodePng(bytes, 'g.png', { rawSamples: true }).data), `depth ${depth}`).toEqual(samples);
      expect(Array.from(decodePng(bytes, 'g.png').data), `depth ${depth}`).toEqual(samples.map((v) => Math.round((v * 255) / max)));
    }
  });

  it('expands palette images to RGB(A), or keeps the indices for masks', () => {
    const palette = [10, 20, 30, 40, 50, 60, 70, 80, 90];
    const samples = [0, 1, 2, 1, 0, 2];
    const bytes = encodePng({ width: 3, height: 2, colorType: 3, depth: 2, samples, palette, filters: [0, 2] });
    expect(Array.from(decodePng(bytes, 'p.png', { rawSamples: true }).data)).toEqual(samples);
    const rgb = decodePng(bytes, 'p.png');
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data.subarray(0, 6))).toEqual([10, 20, 30, 40, 50, 60]);
    const withAlpha = decodePng(encodePng({ width: 3, height: 2, colorType: 3, depth: 8, samples, palette, transparency: [0] }), 'p.png');
    expect(Array.from(withAlpha.data.subarray(0, 8))).toEqual([10, 20, 30, 0, 40, 50, 60, 255]);
  });

  it('decodes interlaced (Adam7) files to the same pixels as plain ones, at every depth and odd sizes', () => {
    for (const [colorType, depth, channels] of [[0, 8, 1], [2, 8, 3], [6, 16, 4], [4, 8, 2], [3, 8, 1]] as const) {
      const max = depth === 16 ? 65535 : (1 << depth) - 1;
      const samples = pattern(13, 11, channels, Math.min(max, colorType === 3 ? 2 : 255));
      const spec = { width: 13, height: 11, colorType, depth, samples, filters: [0, 1, 2, 3, 4], palette: colorType === 3 ? [9, 8, 7, 6, 5, 4, 3, 2, 1] : undefined };
      const plain = decodePng(encodePng(spec), 'plain.png', { rawSamples: true });
      const interlaced = decodePng(encodePng({ ...spec, interlaced: true }), 'adam7.png', { rawSamples: true });
      expect(Array.from(interlaced.data), `colour type ${colorType}, depth ${depth}`).toEqual(Array.from(plain.data));
      expect(Array.from(plain.data), `colour type ${colorType}, depth ${depth}`).toEqual(samples);
    }
  });

  it('matches files written by another encoder (pngjs, adaptive filtering)', () => {
    // test/data/fixtures/*.png were written once by pngjs 7.0.0 from the same pattern.
    const fixture = (name: string) => decodePng(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.png`)), name);
    expect(Array.from(fixture('rgb8').data)).toEqual(pattern(13, 7, 3));
    expect(Array.from(fixture('rgba16').data)).toEqual(pattern(13, 7, 4));
    expect(Array.from(fixture('grey8').data)).toEqual(pattern(13, 7, 1));
  });

  describe('rejects broken files, naming them', () => {
    const good = encodePng({ width: 4, height: 4, colorType: 0, depth: 8, samples: pattern(4, 4, 1) });
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['a non-PNG', () => new TextEncoder().encode('GIF89a....'), /not a PNG file/],
      ['a truncated file', () => good.subarray(0, good.length - 20), /truncated or corrupted/],
      ['a corrupted chunk', () => { const b = good.slice(); b[40] ^= 0xff; return b; }, /CRC mismatch/],
      ['an interlaced image with sub-byte samples', () => encodePng({ width: 3, height: 3, colorType: 0, depth: 2, samples: Array(9).fill(1), interlaced: true }), /interlaced \(Adam7\) PNGs with 2-bit samples are not supported/],
      ['a bad bit depth', () => encodePng({ width: 1, height: 1, colorType: 2, depth: 4, samples: [1, 2, 3] }), /bit depth 4 is not allowed for 3-channel images/],
      ['an unknown filter', () => encodePng({ width: 2, height: 2, colorType: 0, depth: 8, samples: [1, 2, 3, 4], filters: [0, 7] }), /filter: 7/],
      ['a palette index past the palette', () => encodePng({ width: 1, height: 1, colorType: 3, depth: 8, samples: [5], palette: [1, 2, 3] }), /palette entry 5, but the palette has 1/],
    ];
    for (const [name, make, pattern] of cases) {
      it(name, () => {
        expect(() => decodePng(make(), 'bad.png')).toThrow(PngFormatError);
        expect(() => decodePng(make(), 'bad.png')).toThrow(new RegExp(`^PNG bad\\.png: .*${pattern.source}`));
      });
    }
  });
});
