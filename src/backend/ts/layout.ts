import type { Shape } from '../backend.js';

function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function permute(x: Float32Array, xShape: Shape, perm: readonly number[], out: Float32Array): void {
  const rank = xShape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const xStrides = stridesOf(xShape);
  const outShape = perm.map((p) => xShape[p]!);
  const srcStrides = perm.map((p) => xStrides[p]!);
  const inner = outShape[rank - 1]!;
  const innerStride = srcStrides[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o += inner) {
    for (let j = 0; j < inner; j++) out[o + j] = x[src + j * innerStride]!;
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      src += srcStrides[d]!;
      if (index[d]! < outShape[d]!) break;
      src -= srcStrides[d]! * index[d]!;
      index[d] = 0;
    }
  }
}

export function copyRegion(
  src: Float32Array, srcShape: Shape, srcStart: readonly number[],
  dst: Float32Array, dstShape: Shape, dstStart: readonly number[],
  region: Shape, accumulate: boolean,
): void {
  const rank = region.length;
  for (const d of region) if (d === 0) return;
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  let srcOff = 0;
  let dstOff = 0;
  for (let d = 0; d < rank; d++) {
    srcOff += srcStart[d]! * ss[d]!;
    dstOff += dstStart[d]! * ds[d]!;
  }
  if (rank === 0) {
    dst[dstOff] = accumulate ? dst[dstOff]! + src[srcOff]! : src[srcOff]!;
    return;
  }
  // Trailing dimensions the region spans whole in both arrays join the innermost run, which is
  // then contiguous on both sides: padding channels (N, C, H, W) into (N, C', H, W) copies one
  // run of C·H·W per image instead of N·C·H runs of W.
  let split = rank - 1;
  while (split > 0 && region[split] === srcShape[split] && region[split] === dstShape[split]) split--;
  let inner = 1;
  for (let d = split; d < rank; d++) inner *= region[d]!;
  const index = new Array<number>(rank).fill(0);
  let rows = 1;
  for (let d = 0; d < split; d++) rows *= region[d]!;
  for (let r = 0; r < rows; r++) {
    if (accumulate) {
      for (let j = 0; j < inner; j++) dst[dstOff + j] = dst[dstOff + j]! + src[srcOff + j]!;
    } else {
      dst.set(src.subarray(srcOff, srcOff + inner), dstOff);
    }
    for (let d = split - 1; d >= 0; d--) {
      index[d]!++;
      srcOff += ss[d]!;
      dstOff += ds[d]!;
      if (index[d]! < region[d]!) break;
      srcOff -= ss[d]! * index[d]!;
      dstOff -= ds[d]! * index[d]!;
      index[d] = 0;
    }
  }
}

export function gatherRows(table: Float32Array, rowLength: number, indices: Int32Array, out: Float32Array): void {
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r]! * rowLength;
    out.set(table.subarray(from, from + rowLength), r * rowLength);
  }
}

export function scatterAddRows(dy: Float32Array, rowLength: number, indices: Int32Array, dTable: Float32Array): void {
  for (let r = 0; r < indices.length; r++) {
    const to = indices[r]! * rowLength;
    const from = r * rowLength;
    for (let j = 0; j < rowLength; j++) dTable[to + j] = dTable[to + j]! + dy[from + j]!;
  }
}
