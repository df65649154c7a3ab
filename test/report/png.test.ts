import { describe, expect, it, vi } from 'vitest';
import { decodePng } from '../../src/data/png.js';
import { encodePng, pngDataUrl } from '../../src/report/png.js';

describe('encodePng', () => {
  for (const channels of [1, 2, 3, 4] as const) {
    it(`round-trips ${channels}-channel pixels through the PNG decoder`, () => {
      const width = 5;
      const height = 3;
      const data = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + channels) % 256);
      const decoded = decodePng(encodePng({ width, height, channels, data }), 'encoded');
      expect(decoded.width).toBe(width);
      expect(decoded.height).toBe(height);
      expect(decoded.channels).toBe(channels);
      expect(Array.from(decoded.data)).toEqual(Array.from(data));
    });
  }

  it('makes a base64 PNG data URL of exactly the pixels given, with no time or text chunk', () => {
    const image = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
    const url = pngDataUrl(image);
    expect(url).toMatch(/^data:image\/png;base64,iVBORw0KGgo[A-Za-z0-9+/]+=*$/);
    const bytes = new Uint8Array(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
    const decoded = decodePng(bytes, 'data URL');
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([2, 1, 3]);
    expect(Array.from(decoded.data)).toEqual([255, 0, 0, 0, 0, 255]);
    const chunks: string[] = [];
    for (let at = 8; at < bytes.length;) {
      const length = new DataView(bytes.buffer).getUint32(at, false);
      chunks.push(String.fromCharCode(...bytes.subarray(at + 4, at + 8)));
      at += 12 + length;
    }
    expect(chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('is deterministic: the same pixels give the same bytes at another time', () => {
    const image = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([0, 50, 100, 150, 200, 250]) };
    const now = pngDataUrl(image);
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date(Date.UTC(2041, 5, 7, 8, 9, 10)));
      expect(pngDataUrl(image)).toBe(now);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects data of the wrong length', () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) })).toThrow(/data has 3 bytes, expected 2 × 2 × 1 = 4/);
  });
});
