import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IdxFormatError, parseIdx } from '../../src/data/idx.js';

/** An idx file: magic 0 0 type rank, big-endian dimensions, then the bytes. */
function idx(shape: number[], data: number[], type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + data.length);
  out.set([0, 0, type, shape.length]);
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}

describe('idx parser', () => {
  it('reads the shape (big-endian) and the values', () => {
    const parsed = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 250]), 'a.idx');
    expect(parsed.shape).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 250]);
  });

  it('reads gzip-compressed files', () => {
    expect(parseIdx(gzipSync(idx([1, 2], [7, 8])), 'a.idx.gz').shape).toEqual([1, 2]);
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array([0, 0]), /2 bytes, too short for the 4-byte idx magic/],
    ['bad magic', Uint8Array.from([1, 2, 8, 1, 0, 0, 0, 0]), /not an idx file/],
    ['unknown type', idx([1], [0], 0x42), /unknown element type 0x42/],
    ['unsupported type', idx([1], [0, 0, 0, 0], 0x0d), /0xd \(float32\) is not supported/],
    ['no dimensions', Uint8Array.from([0, 0, 8, 0]), /has 0 dimensions/],
    ['truncated header', Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]), /too short for the header of 3 dimensions/],
    ['truncated data', idx([2, 2], [1, 2, 3]), /truncated: shape \[2, 2\] needs 4 data bytes, the file has 3/],
    ['trailing bytes', idx([1, 2], [1, 2, 3]), /1 unexpected bytes after the data/],
  ];
  for (const [name, bytes, pattern] of cases) {
    it(`rejects ${name}, naming the file`, () => {
      expect(() => parseIdx(bytes, 'broken.idx')).toThrow(IdxFormatError);
      expect(() => parseIdx(bytes, 'broken.idx')).toThrow(new RegExp(`^idx broken\\.idx: .*${pattern.source}`));
    });
  }
});
