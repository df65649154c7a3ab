import type { Conv2dParams, Shape } from '../backend.js';
import { gemmRowMajor } from './gemm.js';

/**
 * 2-D convolution as im2col + GEMM (Chellapilla et al. 2006; Caffe's layout). Per image and per
 * group, the receptive fields are unrolled into `cols` (C/groups·KH·KW, OH·OW) so that
 *
 *   forward:          y_g  (O/g, OH·OW)      = W_g (O/g, C/g·KH·KW) · cols
 *   backward input:   dcols (C/g·KH·KW, OH·OW) = W_gᵀ · dy_g,  then col2im adds dcols into dx
 *   backward weight:  dW_g += dy_g · colsᵀ, summed over the batch (colsᵀ built directly)
 *
 * A 1x1 kernel with stride 1 and no padding is already a GEMM over the input planes, so those
 * paths skip the unrolling. Scratch buffers are module-level and reused: the TypeScript backend
 * runs one kernel at a time (single thread), and conv is called thousands of times per epoch.
 */
let colsScratch: Float32Array = new Float32Array(0);
let weightTScratch: Float32Array = new Float32Array(0);

function grow(buffer: Float32Array, length: number): Float32Array {
  return buffer.length >= length ? buffer : new Float32Array(Math.max(length, buffer.length * 2));
}

/** The sizes every conv kernel needs, resolved once from the shapes and params. */
interface Geometry {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  groups: number;
  /** Input channels per group. */
  groupIn: number;
  /** Output channels per group. */
  groupOut: number;
  /** Rows of cols: groupIn·KH·KW. */
  patch: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  /** 1x1 kernel, stride 1, no padding: the input plane block is the cols matrix. */
  pointwise: boolean;
}

function geometry(xShape: Shape, wShape: Shape, yShape: Shape, p: Conv2dParams): Geometry {
  const [batch, inChannels, height, width] = xShape as [number, number, number, number];
  const [outChannels, groupIn, kernelHeight, kernelWidth] = wShape as [number, number, number, number];
  const outHeight = yShape[2]!;
  const outWidth = yShape[3]!;
  const groups = p.groups;
  const pointwise = kernelHeight === 1 && kernelWidth === 1 && p.stride[0] === 1 && p.stride[1] === 1 &&
    p.padding[0] === 0 && p.padding[1] === 0 && outHeight === height && outWidth === width;
  return {
    batch, inChannels, height, width, outChannels, outHeight, outWidth, kernelHeight, kernelWidth,
    groups, groupIn, groupOut: outChannels / groups, patch: groupIn * kernelHeight * kernelWidth,
    strideH: p.stride[0], strideW: p.stride[1], padH: p.padding[0], padW: p.padding[1],
    dilationH: p.dilation[0], dilationW: p.dilation[1], pointwise,
  };
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

/** cols (groupIn·KH·KW, OH·OW) ← receptive fields of the groupIn planes of x starting at xOffset. */
function im2col(x: Float32Array, xOffset: number, g: Geometry, cols: Float32Array): void {
  const { height, width, outHeight, outWidth, strideH, strideW } = g;
  const planeOut = outHeight * outWidth;
  let row = 0;
  for (let c = 0; c < g.groupIn; c++) {
    const plane = xOffset + c * height * width;
    for (let i = 0; i < g.kernelHeight; i++) {
      const rowShift = i * g.dilationH - g.padH;
      for (let j = 0; j < g.kernelWidth; j++, row++) {
        const colShift = j * g.dilationW - g.padW;
        const [lo, hi] = validRange(colShift, strideW, width, outWidth);
        let dst = row * planeOut;
        for (let oh = 0; oh < outHeight; oh++, dst += outWidth) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= height) {
            for (let ow = 0; ow < outWidth; ow++) cols[dst + ow] = 0;
            continue;
          }
          for (let ow = 0; ow < lo; ow++) cols[dst + ow] = 0;
          const src = plane + ih * width + colShift;
          if (strideW === 1) {
            for (let ow = lo; ow < hi; ow++) cols[dst + ow] = x[src + ow]!;
          } else {
            for (let ow = lo; ow < hi; ow++) cols[dst + ow] = x[src + ow * strideW]!;
          }
          for (let ow = hi; ow < outWidth; ow++) cols[dst + ow] = 0;
        }
      }
    }
  }
}

/**
 * colsT (OH·OW, groupIn·KH·KW) = im2col transposed, built directly: the weight gradient
 * dy_g · colsᵀ is then a plain row-major GEMM with no transpose pass over the columns.
 */
function im2colTransposed(x: Float32Array, xOffset: number, g: Geometry, colsT: Float32Array): void {
  const { height, width, outHeight, outWidth, strideH, strideW, patch } = g;
  let row = 0;
  for (let c = 0; c < g.groupIn; c++) {
    const plane = xOffset + c * height * width;
    for (let i = 0; i < g.kernelHeight; i++) {
      const rowShift = i * g.dilationH - g.padH;
      for (let j = 0; j < g.kernelWidth; j++, row++) {
        const colShift = j * g.dilationW - g.padW;
        const [lo, hi] = validRange(colShift, strideW, width, outWidth);
        let dst = row;
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= height) {
            for (let ow = 0; ow < outWidth; ow++, dst += patch) colsT[dst] = 0;
            continue;
          }
          const src = plane + ih * width + colShift;
          let ow = 0;
          for (; ow < lo; ow++, dst += patch) colsT[dst] = 0;
          for (; ow < hi; ow++, dst += patch) colsT[dst] = x[src + ow * strideW]!;
          for (; ow < outWidth; ow++, dst += patch) colsT[dst] = 0;
        }
      }
    }
  }
}

/** dx planes at dxOffset += scatter of dcols: the adjoint of im2col. */
function col2im(cols: Float32Array, g: Geometry, dx: Float32Array, dxOffset: number): void {
  const { height, width, outHeight, outWidth, strideH, strideW } = g;
  const planeOut = outHeight * outWidth;
  let row = 0;
  for (let c = 0; c < g.groupIn; c++) {
    const plane = dxOffset + c * height * width;
    for (let i = 0; i < g.kernelHeight; i++) {
      const rowShift = i * g.dilationH - g.padH;
      for (let j = 0; j < g.kernelWidth; j++, row++) {
        const colShift = j * g.dilationW - g.padW;
        const [lo, hi] = validRange(colShift, strideW, width, outWidth);
        let src = row * planeOut;
        for (let oh = 0; oh < outHeight; oh++, src += outWidth) {
          const ih = oh * strideH + rowShift;
          if (ih < 0 || ih >= height) continue;
          const dst = plane + ih * width + colShift;
          if (strideW === 1) {
            for (let ow = lo; ow < hi; ow++) dx[dst + ow] = dx[dst + ow]! + cols[src + ow]!;
          } else {
            for (let ow = lo; ow < hi; ow++) dx[dst + ow * strideW] = dx[dst + ow * strideW]! + cols[src + ow]!;
          }
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
  const g = geometry(xShape, wShape, outShape, p);
  const planeIn = g.height * g.width;
  const planeOut = g.outHeight * g.outWidth;
  if (!g.pointwise) colsScratch = grow(colsScratch, g.patch * planeOut);
  for (let n = 0; n < g.batch; n++) {
    for (let group = 0; group < g.groups; group++) {
      const xOffset = (n * g.inChannels + group * g.groupIn) * planeIn;
      const outOffset = (n * g.outChannels + group * g.groupOut) * planeOut;
      let cols = x;
      let colsOffset = xOffset;
      if (!g.pointwise) {
        im2col(x, xOffset, g, colsScratch);
        cols = colsScratch;
        colsOffset = 0;
      }
      // (O/g, OH·OW) = (O/g, patch) · (patch, OH·OW)
      gemmRowMajor(g.groupOut, planeOut, g.patch, w, group * g.groupOut * g.patch, cols, colsOffset, out, outOffset, false);
    }
    if (bias) {
      for (let o = 0; o < g.outChannels; o++) {
        const b = bias[o]!;
        const start = (n * g.outChannels + o) * planeOut;
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
  const g = geometry(dxShape, wShape, dyShape, p);
  const planeIn = g.height * g.width;
  const planeOut = g.outHeight * g.outWidth;
  // W_gᵀ (patch, O/g) for every group, packed once per call and reused across the batch.
  weightTScratch = grow(weightTScratch, g.outChannels * g.patch);
  for (let group = 0; group < g.groups; group++) {
    const base = group * g.groupOut * g.patch;
    for (let o = 0; o < g.groupOut; o++) {
      for (let r = 0; r < g.patch; r++) weightTScratch[base + r * g.groupOut + o] = w[base + o * g.patch + r]!;
    }
  }
  if (!g.pointwise) {
    colsScratch = grow(colsScratch, g.patch * planeOut);
    dx.fill(0, 0, g.batch * g.inChannels * planeIn);
  }
  for (let n = 0; n < g.batch; n++) {
    for (let group = 0; group < g.groups; group++) {
      const dxOffset = (n * g.inChannels + group * g.groupIn) * planeIn;
      const dyOffset = (n * g.outChannels + group * g.groupOut) * planeOut;
      const wOffset = group * g.groupOut * g.patch;
      if (g.pointwise) {
        gemmRowMajor(g.patch, planeOut, g.groupOut, weightTScratch, wOffset, dy, dyOffset, dx, dxOffset, false);
      } else {
        gemmRowMajor(g.patch, planeOut, g.groupOut, weightTScratch, wOffset, dy, dyOffset, colsScratch, 0, false);
        col2im(colsScratch, g, dx, dxOffset);
      }
    }
  }
}

/** dw (O, C/groups, KH, KW) = Σ over images of dy_g (O/g, OH·OW) · colsT (OH·OW, patch). */
export function conv2dBackwardWeight(
  x: Float32Array, xShape: Shape, dy: Float32Array, dyShape: Shape,
  p: Conv2dParams, dw: Float32Array, dwShape: Shape,
): void {
  const g = geometry(xShape, dwShape, dyShape, p);
  const planeIn = g.height * g.width;
  const planeOut = g.outHeight * g.outWidth;
  colsScratch = grow(colsScratch, g.patch * planeOut);
  dw.fill(0, 0, g.outChannels * g.patch);
  for (let n = 0; n < g.batch; n++) {
    for (let group = 0; group < g.groups; group++) {
      const xOffset = (n * g.inChannels + group * g.groupIn) * planeIn;
      const dyOffset = (n * g.outChannels + group * g.groupOut) * planeOut;
      im2colTransposed(x, xOffset, g, colsScratch);
      gemmRowMajor(g.groupOut, g.patch, planeOut, dy, dyOffset, colsScratch, 0, dw, group * g.groupOut * g.patch, true);
    }
  }
}
