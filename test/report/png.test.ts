import { describe, expect, it } from 'vitest';
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

  it('is deterministic and makes a base64 PNG data URL', () => {
    const image = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
    expect(pngDataUrl(image)).toBe(pngDataUrl(image));
    expect(pngDataUrl(image)).toMatch(/^data:image\/png;base64,iVBORw0KGgo[A-Za-z0-9+/]+=*$/);
  });

  it('rejects data of the wrong length', () => {
    expect(() => encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(3) })).toThrow(/data has 3 bytes, expected 2 × 2 × 1 = 4/);
  });
});
