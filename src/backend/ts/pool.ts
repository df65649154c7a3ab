import type { AvgPool2dParams, MaxPool2dParams, Shape } from '../backend.js';

/**
 * 2-D pooling over NCHW planes with PyTorch's window arithmetic (floor mode):
 * - max: padding acts as −∞, windows may be dilated, the first maximal element wins and NaN
 *   propagates (as PyTorch's CPU kernel); `argmax` is the flat index into x.
 * - avg: windows are clipped to the padded input; the divisor is the clipped-to-padding window
 *   (countIncludePad) or the number of real elements in it.
 * - adaptive avg: output cell i covers rows floor(i·H/OH) .. ceil((i+1)·H/OH) − 1, so
 *   neighbouring windows may overlap when H is not a multiple of OH.
 */

interface Planes {
  planes: number;
  height: number;
  width: number;
  outHeight: number;
  outWidth: number;
}

function planes(xShape: Shape, yShape: Shape): Planes {
  return {
    planes: xShape[0]! * xShape[1]!,
    height: xShape[2]!,
    width: xShape[3]!,
    outHeight: yShape[2]!,
    outWidth: yShape[3]!,
  };
}

/** First input row (or column) ≥ 0 of a dilated window that starts at `start`. */
function firstInside(start: number, dilation: number): number {
  return start >= 0 ? start : start + Math.ceil(-start / dilation) * dilation;
}

export function maxPool2dForward(
  x: Float32Array, xShape: Shape, p: MaxPool2dParams, out: Float32Array, outShape: Shape, argmax: Int32Array,
): void {
  const { planes: count, height, width, outHeight, outWidth } = planes(xShape, outShape);
  const [kernelH, kernelW] = p.kernelSize;
  const [strideH, strideW] = p.stride;
  const [padH, padW] = p.padding;
  const [dilationH, dilationW] = p.dilation;
  let o = 0;
  for (let plane = 0; plane < count; plane++) {
    const base = plane * height * width;
    for (let oh = 0; oh < outHeight; oh++) {
      const rowStart = oh * strideH - padH;
      const rowEnd = Math.min(rowStart + (kernelH - 1) * dilationH + 1, height);
      const row0 = firstInside(rowStart, dilationH);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const colStart = ow * strideW - padW;
        const colEnd = Math.min(colStart + (kernelW - 1) * dilationW + 1, width);
        const col0 = firstInside(colStart, dilationW);
        // A window with no element inside the input (only possible with large dilation) yields
        // −∞; its argmax is clamped into the plane so a backward pass never writes elsewhere.
        let best = -Infinity;
        let bestIndex = base + Math.min(row0, height - 1) * width + Math.min(col0, width - 1);
        for (let ih = row0; ih < rowEnd; ih += dilationH) {
          const rowBase = base + ih * width;
          for (let iw = col0; iw < colEnd; iw += dilationW) {
            const v = x[rowBase + iw]!;
            if (v > best || v !== v) {
              best = v;
              bestIndex = rowBase + iw;
            }
          }
        }
        out[o] = best;
        argmax[o] = bestIndex;
      }
    }
  }
}

/** dx = 0, then dx[argmax[i]] += dy[i]. */
export function maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void {
  dx.fill(0);
  for (let i = 0; i < dy.length; i++) {
    const j = argmax[i]!;
    dx[j] = dx[j]! + dy[i]!;
  }
}

/**
 * Visit every avg-pool window: fn(outputIndex, planeBase, row0, row1, col0, col1, divisor) with
 * the window clipped to the real input. Forward and backward share this so they cannot disagree.
 */
function forEachAvgWindow(
  geometry: Planes, p: AvgPool2dParams,
  fn: (o: number, base: number, row0: number, row1: number, col0: number, col1: number, divisor: number) => void,
): void {
  const { planes: count, height, width, outHeight, outWidth } = geometry;
  const [kernelH, kernelW] = p.kernelSize;
  const [strideH, strideW] = p.stride;
  const [padH, padW] = p.padding;
  let o = 0;
  for (let plane = 0; plane < count; plane++) {
    const base = plane * height * width;
    for (let oh = 0; oh < outHeight; oh++) {
      let row0 = oh * strideH - padH;
      let row1 = Math.min(row0 + kernelH, height + padH);
      const paddedRows = row1 - row0;
      row0 = Math.max(row0, 0);
      row1 = Math.min(row1, height);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        let col0 = ow * strideW - padW;
        let col1 = Math.min(col0 + kernelW, width + padW);
        const paddedCols = col1 - col0;
        col0 = Math.max(col0, 0);
        col1 = Math.min(col1, width);
        const divisor = p.countIncludePad ? paddedRows * paddedCols : (row1 - row0) * (col1 - col0);
        fn(o, base, row0, row1, col0, col1, divisor);
      }
    }
  }
}

export function avgPool2dForward(x: Float32Array, xShape: Shape, p: AvgPool2dParams, out: Float32Array, outShape: Shape): void {
  const geometry = planes(xShape, outShape);
  const width = geometry.width;
  forEachAvgWindow(geometry, p, (o, base, row0, row1, col0, col1, divisor) => {
    let sum = 0;
    for (let ih = row0; ih < row1; ih++) {
      const rowBase = base + ih * width;
      for (let iw = col0; iw < col1; iw++) sum += x[rowBase + iw]!;
    }
    out[o] = sum / divisor;
  });
}

export function avgPool2dBackward(dy: Float32Array, dyShape: Shape, p: AvgPool2dParams, dx: Float32Array, dxShape: Shape): void {
  const geometry = planes(dxShape, dyShape);
  const width = geometry.width;
  dx.fill(0, 0, geometry.planes * geometry.height * width);
  forEachAvgWindow(geometry, p, (o, base, row0, row1, col0, col1, divisor) => {
    const g = dy[o]! / divisor;
    for (let ih = row0; ih < row1; ih++) {
      const rowBase = base + ih * width;
      for (let iw = col0; iw < col1; iw++) dx[rowBase + iw] = dx[rowBase + iw]! + g;
    }
  });
}

/** PyTorch's adaptive window along one axis: [floor(i·size/outSize), ceil((i+1)·size/outSize)). */
function adaptiveStart(i: number, size: number, outSize: number): number {
  return Math.floor((i * size) / outSize);
}
function adaptiveEnd(i: number, size: number, outSize: number): number {
  return Math.ceil(((i + 1) * size) / outSize);
}

export function adaptiveAvgPool2dForward(x: Float32Array, xShape: Shape, out: Float32Array, outShape: Shape): void {
  const { planes: count, height, width, outHeight, outWidth } = planes(xShape, outShape);
  let o = 0;
  for (let plane = 0; plane < count; plane++) {
    const base = plane * height * width;
    for (let oh = 0; oh < outHeight; oh++) {
      const row0 = adaptiveStart(oh, height, outHeight);
      const row1 = adaptiveEnd(oh, height, outHeight);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const col0 = adaptiveStart(ow, width, outWidth);
        const col1 = adaptiveEnd(ow, width, outWidth);
        let sum = 0;
        for (let ih = row0; ih < row1; ih++) {
          const rowBase = base + ih * width;
          for (let iw = col0; iw < col1; iw++) sum += x[rowBase + iw]!;
        }
        out[o] = sum / ((row1 - row0) * (col1 - col0));
      }
    }
  }
}

export function adaptiveAvgPool2dBackward(dy: Float32Array, dyShape: Shape, dx: Float32Array, dxShape: Shape): void {
  const { planes: count, height, width, outHeight, outWidth } = planes(dxShape, dyShape);
  dx.fill(0, 0, count * height * width);
  let o = 0;
  for (let plane = 0; plane < count; plane++) {
    const base = plane * height * width;
    for (let oh = 0; oh < outHeight; oh++) {
      const row0 = adaptiveStart(oh, height, outHeight);
      const row1 = adaptiveEnd(oh, height, outHeight);
      for (let ow = 0; ow < outWidth; ow++, o++) {
        const col0 = adaptiveStart(ow, width, outWidth);
        const col1 = adaptiveEnd(ow, width, outWidth);
        const g = dy[o]! / ((row1 - row0) * (col1 - col0));
        for (let ih = row0; ih < row1; ih++) {
          const rowBase = base + ih * width;
          for (let iw = col0; iw < col1; iw++) dx[rowBase + iw] = dx[rowBase + iw]! + g;
        }
      }
    }
  }
}
