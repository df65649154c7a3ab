import { describe, expect, it } from 'vitest';
import type { Shape } from '../../../src/backend/backend.js';
import { copyRegion } from '../../../src/backend/ts/layout.js';

/** copyRegion element by element, by its definition: dst[dstStart + i] (+)= src[srcStart + i] for i in region. */
function naive(src: Float32Array, srcShape: Shape, srcStart: number[], dst: Float32Array, dstShape: Shape, dstStart: number[], region: Shape, accumulate: boolean): void {
  const flat = (shape: Shape, at: number[]) => at.reduce((offset, i, d) => offset * shape[d]! + i, 0);
  const total = region.reduce((a, b) => a * b, 1);
  for (let e = 0; e < total; e++) {
    const at: number[] = [];
    for (let d = region.length - 1, rest = e; d >= 0; d--) {
      at[d] = rest % region[d]!;
      rest = Math.floor(rest / region[d]!);
    }
    const s = flat(srcShape, at.map((i, d) => i + srcStart[d]!));
    const t = flat(dstShape, at.map((i, d) => i + dstStart[d]!));
    dst[t] = accumulate ? dst[t]! + src[s]! : src[s]!;
  }
}

describe('copyRegion (TypeScript reference)', () => {
  // Padding channels (whole trailing dimensions: one run per image), a channel slice, an interior
  // window (runs of one row), a region whole in every dimension (one run), and accumulation.
  const cases: { srcShape: Shape; srcStart: number[]; dstShape: Shape; dstStart: number[]; region: Shape; accumulate: boolean }[] = [
    { srcShape: [3, 4, 5, 6], srcStart: [0, 0, 0, 0], dstShape: [3, 8, 5, 6], dstStart: [0, 2, 0, 0], region: [3, 4, 5, 6], accumulate: false },
    { srcShape: [3, 8, 5, 6], srcStart: [0, 3, 0, 0], dstShape: [3, 4, 5, 6], dstStart: [0, 0, 0, 0], region: [3, 4, 5, 6], accumulate: false },
    { srcShape: [2, 3, 7, 9], srcStart: [1, 0, 2, 3], dstShape: [2, 3, 4, 4], dstStart: [0, 0, 1, 0], region: [1, 3, 3, 4], accumulate: false },
    { srcShape: [2, 3, 4], srcStart: [0, 0, 0], dstShape: [2, 3, 4], dstStart: [0, 0, 0], region: [2, 3, 4], accumulate: false },
    { srcShape: [3, 4, 5, 6], srcStart: [0, 0, 0, 0], dstShape: [3, 8, 5, 6], dstStart: [0, 4, 0, 0], region: [3, 4, 5, 6], accumulate: true },
  ];
  for (const c of cases) {
    it(`region [${c.region}] from [${c.srcShape}] at [${c.srcStart}] into [${c.dstShape}] at [${c.dstStart}]${c.accumulate ? ', accumulating' : ''}`, () => {
      const src = Float32Array.from({ length: c.srcShape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1);
      const length = c.dstShape.reduce((a, b) => a * b, 1);
      const expected = Float32Array.from({ length }, (_, i) => -i);
      const actual = expected.slice();
      naive(src, c.srcShape, c.srcStart, expected, c.dstShape, c.dstStart, c.region, c.accumulate);
      copyRegion(src, c.srcShape, c.srcStart, actual, c.dstShape, c.dstStart, c.region, c.accumulate);
      expect(actual).toEqual(expected);
    });
  }
});
