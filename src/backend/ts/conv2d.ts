import type { Conv2dParams, GemmParams, Shape } from '../backend.js';
import { convGeometry, type ConvGeometry as Geometry } from '../conv-geometry.js';
import { gemm, gemmRowMajor } from './gemm.js';

/**
 * 2-D convolution as im2col + GEMM (Chellapilla et al. 2006; Caffe's layout). Per image and per
 * group, the receptive fields are unrolled into `cols` (C/groups·KH·KW, OH·OW) so that
 *
 *   forward:          y_g  (O/g, OH·OW)      = W_g (O/g, C/g·KH·KW) · cols
 *   backward input:   dcols (C/g·KH·KW, OH·OW) = W_gᵀ · dy_g,  then col2im adds dcols into dx
 *   backward weight:  dW_g += dy_g · colsᵀ, summed over the batch
 *
 * A 1x1 kernel with stride 1 and no padding is already a GEMM over the input planes, so those
 * paths skip the unrolling; with stride 1 the input gradient is computed as a forward conv with
 * flipped weights (see `backwardInputAsForward`), so col2im only serves strided and transposed
 * convolutions. Scratch buffers are module-level and reused: the TypeScript backend
 * runs one kernel at a time (single thread), and conv is called thousands of times per epoch.
 */
let colsScratch: Float32Array = new Float32Array(0);
let weightScratch: Float32Array = new Float32Array(0);

function grow(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(Math.max(length, buffer.length * 2));
}

/**
 * The output columns ow whose input column ow·stride + shift lies inside [0, width): a half-open
 * range [lo, hi), so the copy loops below run without per-element bounds checks.
 */
function validRange(shift: number, stride: number, width: number, outWidth: number): [number, number] {
  const lo = Math.min(outWidth, shift >= 0 ? 0 : Math.ceil(-shift / stride));
  const hi = width - shift <= 0 ? lo : Math.min(outWidth, Math.max(lo, Math.ceil((width - shift) / stride)));
  return [lo, hi];
}

/**
 * Stride 1 with OW = W (every 'same' conv, e.conv. ResNet's 3x3 pad 1) is the common case and has a
 * cheaper unrolling: the cols row of kernel tap (i, j) is the input plane shifted by
 * rowShift·W + colShift, i.e. one long copy, after which the entries that wrapped across a row
 * edge are zeroed. Long loops matter in V8: a 32-element copy loop costs ~3x per element what a
 * plane-long one does. `sameWidth` says whether this applies.
 */
function sameWidth(conv: Geometry): boolean {
  return conv.strideH === 1 && conv.strideW === 1 && conv.outWidth === conv.width;
}

/** Output rows whose input row oh + rowShift lies inside [0, height) (stride 1). */
function rowRange(rowShift: number, height: number, outHeight: number): [number, number] {
  const lo = Math.min(outHeight, Math.max(0, -rowShift));
  return [lo, Math.min(outHeight, Math.max(lo, height - rowShift))];
}

/**
 * cols (groupIn·KH·KW, OH·OW) ← the receptive fields of the groupIn planes of x at xOffset:
 * row (c·KH + i)·KW + j holds, for every output position, the input under kernel tap (i, j).
 */
function im2col(x: Float32Array, xOffset: number, conv: Geometry, cols: Float32Array): void {
  const { height, width, outHeight, outWidth, strideH, strideW } = conv;
  const planeOut = outHeight * outWidth;
  const fast = sameWidth(conv);
  let row = 0;
  for (let c = 0; c < conv.groupIn; c++) {
    const plane = xOffset + c * height * width;
    for (let i = 0; i < conv.kernelHeight; i++) {
      const rowShift = i * conv.dilationH - conv.padH;
      for (let j = 0; j < conv.kernelWidth; j++, row++) {
        const colShift = j * conv.dilationW - conv.padW;
        const base = row * planeOut;
        if (fast) {
          const [ohLo, ohHi] = rowRange(rowShift, height, outHeight);
          const left = Math.max(0, -colShift);
          const right = Math.max(0, colShift);
          const copyStart = left + right < width ? ohLo * width + left : ohHi * width;
          const copyEnd = left + right < width ? ohHi * width - right : ohHi * width;
          const src = plane + rowShift * width + colShift;
          // set() and fill() run at memcpy/memset speed: over 10x a JavaScript loop here.
          cols.fill(0, base, base + copyStart);
          if (copyEnd > copyStart) cols.set(x.subarray(src + copyStart, src + copyEnd), base + copyStart);
          cols.fill(0, base + Math.max(copyStart, copyEnd), base + planeOut);
          // Zero the entries that wrapped across a row edge (at most |colShift| per row).
          for (let oh = ohLo; oh < ohHi; oh++) {
            const rowBase = base + oh * width;
            for (let ow = 0; ow < left; ow++) cols[rowBase + ow] = 0;
            for (let ow = width - right; ow < width; ow++) cols[rowBase + ow] = 0;
          }
          continue;
        }
        const [lo, hi] = validRange(colShift, strideW, width, outWidth);
        let dst = base;
        for (let oh = 0; oh < outHeight; oh++, dst += outWidth) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= height) {
            cols.fill(0, dst, dst + outWidth);
            continue;
          }
          const src = plane + ih * width + colShift;
          for (let ow = 0; ow < lo; ow++) cols[dst + ow] = 0;
          for (let ow = lo; ow < hi; ow++) cols[dst + ow] = x[src + ow * strideW]!;
          for (let ow = hi; ow < outWidth; ow++) cols[dst + ow] = 0;
        }
      }
    }
  }
}

/**
 * dx planes at dxOffset += scatter of dcols (groupIn·KH·KW, OH·OW): the adjoint of im2col.
 * dcols is scratch: the same-width path zeroes its row-edge-wrapped entries, then adds each
 * row back with one long loop.
 */
function col2im(cols: Float32Array, conv: Geometry, dx: Float32Array, dxOffset: number): void {
  const { height, width, outHeight, outWidth, strideH, strideW } = conv;
  const planeOut = outHeight * outWidth;
  const fast = sameWidth(conv);
  let row = 0;
  for (let c = 0; c < conv.groupIn; c++) {
    const plane = dxOffset + c * height * width;
    for (let i = 0; i < conv.kernelHeight; i++) {
      const rowShift = i * conv.dilationH - conv.padH;
      for (let j = 0; j < conv.kernelWidth; j++, row++) {
        const colShift = j * conv.dilationW - conv.padW;
        const base = row * planeOut;
        if (fast) {
          const [ohLo, ohHi] = rowRange(rowShift, height, outHeight);
          const left = Math.max(0, -colShift);
          const right = Math.max(0, colShift);
          if (left + right >= width) continue;
          for (let oh = ohLo; oh < ohHi; oh++) {
            const rowBase = base + oh * width;
            for (let ow = 0; ow < left; ow++) cols[rowBase + ow] = 0;
            for (let ow = width - right; ow < width; ow++) cols[rowBase + ow] = 0;
          }
          const dst = plane + rowShift * width + colShift - base;
          for (let q = base + ohLo * width + left; q < base + ohHi * width - right; q++) dx[dst + q] = dx[dst + q]! + cols[q]!;
          continue;
        }
        const [lo, hi] = validRange(colShift, strideW, width, outWidth);
        let src = base;
        for (let oh = 0; oh < outHeight; oh++, src += outWidth) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= height) continue;
          const dst = plane + ih * width + colShift;
          for (let ow = lo; ow < hi; ow++) dx[dst + ow * strideW] = dx[dst + ow * strideW]! + cols[src + ow]!;
        }
      }
    }
  }
}

/** out (N, O, OH, OW) = conv(x (N, C, H, W), w (O, C/groups, KH, KW)) + bias (O). */
export function conv2dForward(
  x: Float32Array, xShape: Shape, w: Float32Array, wShape: Shape, bias: Float32Array | null,
  p: Conv2dParams, out: Float32Array, outShape: Shape,
): void {
  const conv = convGeometry(xShape, wShape, outShape, p);
  const planeIn = conv.height * conv.width;
  const planeOut = conv.outHeight * conv.outWidth;
  if (!conv.pointwise) colsScratch = grow(colsScratch, conv.patch * planeOut);
  for (let n = 0; n < conv.batch; n++) {
    for (let group = 0; group < conv.groups; group++) {
      const xOffset = (n * conv.inChannels + group * conv.groupIn) * planeIn;
      const outOffset = (n * conv.outChannels + group * conv.groupOut) * planeOut;
      let cols = x;
      let colsOffset = xOffset;
      if (!conv.pointwise) {
        im2col(x, xOffset, conv, colsScratch);
        cols = colsScratch;
        colsOffset = 0;
      }
      // (O/g, OH·OW) = (O/g, patch) · (patch, OH·OW)
      gemmRowMajor(conv.groupOut, planeOut, conv.patch, w, group * conv.groupOut * conv.patch, cols, colsOffset, out, outOffset, false);
    }
    if (bias) {
      for (let o = 0; o < conv.outChannels; o++) {
        const b = bias[o]!;
        const start = (n * conv.outChannels + o) * planeOut;
        for (let q = start; q < start + planeOut; q++) out[q] = out[q]! + b;
      }
    }
  }
}

/**
 * dx (N, C, H, W) from dy (N, O, OH, OW). H and W come from dxShape, not from the conv
 * arithmetic, so a transposed convolution (whose forward is this kernel) can ask for
 * output_padding extra rows/cols; positions no window touches stay 0.
 */
export function conv2dBackwardInput(
  dy: Float32Array, dyShape: Shape, w: Float32Array, wShape: Shape,
  p: Conv2dParams, dx: Float32Array, dxShape: Shape,
): void {
  const conv = convGeometry(dxShape, wShape, dyShape, p);
  if (!conv.pointwise && backwardInputAsForward(dy, dyShape, w, conv, dx, dxShape)) return;
  const planeIn = conv.height * conv.width;
  const planeOut = conv.outHeight * conv.outWidth;
  // W_gᵀ (patch, O/g) for every group, packed once per call and reused across the batch.
  weightScratch = grow(weightScratch, conv.outChannels * conv.patch);
  for (let group = 0; group < conv.groups; group++) {
    const base = group * conv.groupOut * conv.patch;
    for (let o = 0; o < conv.groupOut; o++) {
      for (let r = 0; r < conv.patch; r++) weightScratch[base + r * conv.groupOut + o] = w[base + o * conv.patch + r]!;
    }
  }
  if (!conv.pointwise) {
    colsScratch = grow(colsScratch, conv.patch * planeOut);
    dx.fill(0, 0, conv.batch * conv.inChannels * planeIn);
  }
  for (let n = 0; n < conv.batch; n++) {
    for (let group = 0; group < conv.groups; group++) {
      const dxOffset = (n * conv.inChannels + group * conv.groupIn) * planeIn;
      const dyOffset = (n * conv.outChannels + group * conv.groupOut) * planeOut;
      const wOffset = group * conv.groupOut * conv.patch;
      if (conv.pointwise) {
        gemmRowMajor(conv.patch, planeOut, conv.groupOut, weightScratch, wOffset, dy, dyOffset, dx, dxOffset, false);
      } else {
        gemmRowMajor(conv.patch, planeOut, conv.groupOut, weightScratch, wOffset, dy, dyOffset, colsScratch, 0, false);
        col2im(colsScratch, conv, dx, dxOffset);
      }
    }
  }
}

/**
 * With stride 1, the input gradient is itself a convolution: dy correlated with the weights
 * flipped in space and transposed in channels, padded by dilation·(K − 1) − padding (the
 * "full" correlation). That reuses the forward path (shifted-copy im2col + GEMM) instead of a
 * scatter-add col2im. Returns false when it does not apply (stride > 1, padding wider than the
 * kernel, or a dxShape that is not the exact inverse size, as with output_padding).
 */
function backwardInputAsForward(dy: Float32Array, dyShape: Shape, w: Float32Array, conv: Geometry, dx: Float32Array, dxShape: Shape): boolean {
  if (conv.strideH !== 1 || conv.strideW !== 1) return false;
  const padH = conv.dilationH * (conv.kernelHeight - 1) - conv.padH;
  const padW = conv.dilationW * (conv.kernelWidth - 1) - conv.padW;
  if (padH < 0 || padW < 0) return false;
  if (conv.outHeight + 2 * padH - conv.dilationH * (conv.kernelHeight - 1) !== conv.height) return false;
  if (conv.outWidth + 2 * padW - conv.dilationW * (conv.kernelWidth - 1) !== conv.width) return false;
  // flipped[(group·(C/g) + c), o, i, j] = w[(group·(O/g) + o), c, KH−1−i, KW−1−j]
  const taps = conv.kernelHeight * conv.kernelWidth;
  weightScratch = grow(weightScratch, conv.outChannels * conv.patch);
  for (let group = 0; group < conv.groups; group++) {
    for (let o = 0; o < conv.groupOut; o++) {
      for (let c = 0; c < conv.groupIn; c++) {
        const from = ((group * conv.groupOut + o) * conv.groupIn + c) * taps;
        const to = ((group * conv.groupIn + c) * conv.groupOut + o) * taps;
        for (let t = 0; t < taps; t++) weightScratch[to + t] = w[from + taps - 1 - t]!;
      }
    }
  }
  const flippedShape = [conv.inChannels, conv.groupOut, conv.kernelHeight, conv.kernelWidth];
  const params: Conv2dParams = { stride: [1, 1], padding: [padH, padW], dilation: [conv.dilationH, conv.dilationW], groups: conv.groups };
  conv2dForward(dy, dyShape, weightScratch, flippedShape, null, params, dx, dxShape);
  return true;
}

/**
 * dw (O, C/groups, KH, KW) = Σ over images of dy_g (O/g, OH·OW) · cols (patch, OH·OW)ᵀ. The GEMM
 * transposes cols into its own scratch: building cols with the fast im2col and transposing it
 * is cheaper than writing colsᵀ element by element with a stride of `patch`.
 */
export function conv2dBackwardWeight(
  x: Float32Array, xShape: Shape, dy: Float32Array, dyShape: Shape,
  p: Conv2dParams, dw: Float32Array, dwShape: Shape,
): void {
  const conv = convGeometry(xShape, dwShape, dyShape, p);
  const planeIn = conv.height * conv.width;
  const planeOut = conv.outHeight * conv.outWidth;
  const weightsPerGroup = conv.groupOut * conv.patch;
  if (!conv.pointwise) colsScratch = grow(colsScratch, conv.patch * planeOut);
  dw.fill(0, 0, conv.outChannels * conv.patch);
  const params: GemmParams = {
    batch: 1, m: conv.groupOut, n: conv.patch, k: planeOut, transA: false, transB: true,
    strideA: 0, strideB: 0, strideC: 0, accumulate: true,
  };
  for (let n = 0; n < conv.batch; n++) {
    for (let group = 0; group < conv.groups; group++) {
      const xOffset = (n * conv.inChannels + group * conv.groupIn) * planeIn;
      const dyOffset = (n * conv.outChannels + group * conv.groupOut) * planeOut;
      if (!conv.pointwise) im2col(x, xOffset, conv, colsScratch);
      const cols = conv.pointwise ? x.subarray(xOffset, xOffset + conv.patch * planeOut) : colsScratch;
      gemm(params, dy.subarray(dyOffset, dyOffset + conv.groupOut * planeOut), cols, dw.subarray(group * weightsPerGroup, (group + 1) * weightsPerGroup));
    }
  }
}
