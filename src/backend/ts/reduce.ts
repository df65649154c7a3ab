import type { ReduceOp, Shape } from '../backend.js';
import { contiguousSplit } from '../reduce-split.js';

/**
 * Reductions view x as (outer, reduced, inner) blocks after merging adjacent axes; any set of
 * axes reduces by iterating over the kept multi-index and the reduced multi-index.
 */
interface Plan {
  keptShape: number[];
  keptStrides: number[];
  reducedShape: number[];
  reducedStrides: number[];
}

function plan(xShape: Shape, axes: readonly number[]): Plan {
  const strides = new Array<number>(xShape.length);
  let s = 1;
  for (let i = xShape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= xShape[i]!;
  }
  const reduced = new Set(axes);
  const p: Plan = { keptShape: [], keptStrides: [], reducedShape: [], reducedStrides: [] };
  for (let i = 0; i < xShape.length; i++) {
    if (reduced.has(i)) {
      p.reducedShape.push(xShape[i]!);
      p.reducedStrides.push(strides[i]!);
    } else {
      p.keptShape.push(xShape[i]!);
      p.keptStrides.push(strides[i]!);
    }
  }
  return p;
}

/** Visit every offset of a multi-index space; calls fn(offset, ordinal). */
function forEachOffset(shape: number[], strides: number[], base: number, fn: (offset: number, ordinal: number) => void): void {
  const rank = shape.length;
  let total = 1;
  for (const d of shape) total *= d;
  if (rank === 0) {
    fn(base, 0);
    return;
  }
  const index = new Array<number>(rank).fill(0);
  let off = base;
  for (let t = 0; t < total; t++) {
    fn(off, t);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      off += strides[d]!;
      if (index[d]! < shape[d]!) break;
      off -= strides[d]! * index[d]!;
      index[d] = 0;
    }
  }
}

export function reduce(op: ReduceOp, x: Float32Array, xShape: Shape, axes: readonly number[], out: Float32Array): void {
  const split = contiguousSplit(xShape, axes);
  if (split) {
    const { outer, reduced, inner } = split;
    for (let o = 0; o < outer; o++) {
      const base = o * reduced * inner;
      const outBase = o * inner;
      if (op === 'max') {
        for (let j = 0; j < inner; j++) out[outBase + j] = reduced > 0 ? x[base + j]! : -Infinity;
        for (let r = 1; r < reduced; r++) {
          const row = base + r * inner;
          for (let j = 0; j < inner; j++) if (x[row + j]! > out[outBase + j]! || Number.isNaN(x[row + j]!)) out[outBase + j] = x[row + j]!;
        }
      } else {
        // Accumulate in float64 so long sums stay accurate.
        if (inner === 1) {
          let acc = 0;
          for (let r = 0; r < reduced; r++) acc += x[base + r]!;
          out[outBase] = op === 'mean' ? acc / reduced : acc;
        } else {
          const acc = new Float64Array(inner);
          for (let r = 0; r < reduced; r++) {
            const row = base + r * inner;
            for (let j = 0; j < inner; j++) acc[j]! += x[row + j]!;
          }
          for (let j = 0; j < inner; j++) out[outBase + j] = op === 'mean' ? acc[j]! / reduced : acc[j]!;
        }
      }
    }
    return;
  }
  const p = plan(xShape, axes);
  let count = 1;
  for (const d of p.reducedShape) count *= d;
  forEachOffset(p.keptShape, p.keptStrides, 0, (base, ordinal) => {
    let acc = op === 'max' ? -Infinity : 0;
    forEachOffset(p.reducedShape, p.reducedStrides, base, (off) => {
      const v = x[off]!;
      if (op === 'max') {
        if (v > acc || Number.isNaN(v)) acc = v;
      } else acc += v;
    });
    out[ordinal] = op === 'mean' ? acc / count : acc;
  });
}

export function reduceMaxBackward(x: Float32Array, xShape: Shape, axes: readonly number[], dy: Float32Array, dx: Float32Array): void {
  dx.fill(0);
  const p = plan(xShape, axes);
  forEachOffset(p.keptShape, p.keptStrides, 0, (base, ordinal) => {
    let best = -Infinity;
    let bestOffset = -1;
    forEachOffset(p.reducedShape, p.reducedStrides, base, (off) => {
      if (bestOffset < 0 || x[off]! > best) {
        best = x[off]!;
        bestOffset = off;
      }
    });
    if (bestOffset >= 0) dx[bestOffset] = dx[bestOffset]! + dy[ordinal]!;
  });
}
