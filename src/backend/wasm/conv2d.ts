import type { Backend, Conv2dParams, Shape } from '../backend.js';
import type { WasmContext } from './arena.js';

/**
 * Convolution as im2col + SIMD GEMM (Chellapilla et al. 2006), the same decomposition as the
 * TypeScript reference (src/backend/ts/conv2d.ts), per image and per group:
 *
 *   forward:          y_g (O/g, OH·OW)         = W_g (O/g, patch) · cols (patch, OH·OW)
 *   backward input:   dcols (patch, OH·OW)     = W_gᵀ · dy_g, then col2im adds dcols into dx
 *   backward weight:  dW_g (O/g, patch)       += dy_g · colsᵀ, summed over the batch
 *
 * with patch = C/g·KH·KW. The transposes are strides handed to the GEMM's packing step. The
 * columns, the packed panels and all operands live in the arena for the whole call, so the
 * only copies are the inputs in and the result out.
 */
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
  groupIn: number;
  groupOut: number;
  patch: number;
  /** 1x1 kernel, stride 1, no padding, same size: the input planes already are the columns. */
  pointwise: boolean;
  params: Conv2dParams;
}

function geometry(xShape: Shape, wShape: Shape, yShape: Shape, p: Conv2dParams): Geometry {
  const [batch, inChannels, height, width] = xShape as [number, number, number, number];
  const [outChannels, groupIn, kernelHeight, kernelWidth] = wShape as [number, number, number, number];
  const outHeight = yShape[2]!;
  const outWidth = yShape[3]!;
  const pointwise = kernelHeight === 1 && kernelWidth === 1 && p.stride[0] === 1 && p.stride[1] === 1 &&
    p.padding[0] === 0 && p.padding[1] === 0 && outHeight === height && outWidth === width;
  return {
    batch, inChannels, height, width, outChannels, outHeight, outWidth, kernelHeight, kernelWidth,
    groups: p.groups, groupIn, groupOut: outChannels / p.groups, patch: groupIn * kernelHeight * kernelWidth,
    pointwise, params: p,
  };
}

type ColumnKernel = (source: number, g: Geometry, target: number) => void;

export function makeConv2d({ kernels, arena }: WasmContext): Pick<Backend, 'conv2dForward' | 'conv2dBackwardInput' | 'conv2dBackwardWeight'> {
  // (x planes → cols) and (cols → dx planes, accumulating), with the geometry spelled out.
  const columns = (kernel: typeof kernels.im2col): ColumnKernel => (source, g, target) => {
    const p = g.params;
    kernel(
      source, g.groupIn, g.height, g.width, g.kernelHeight, g.kernelWidth, p.stride[0], p.stride[1],
      p.padding[0], p.padding[1], p.dilation[0], p.dilation[1], g.outHeight, g.outWidth, target,
    );
  };
  const im2col = columns(kernels.im2col);
  const col2im = columns(kernels.col2im);

  function conv2dForward(
    x: Float32Array, xShape: Shape, w: Float32Array, wShape: Shape, bias: Float32Array | null,
    params: Conv2dParams, out: Float32Array, outShape: Shape,
  ): void {
    const g = geometry(xShape, wShape, outShape, params);
    const planeIn = g.height * g.width;
    const planeOut = g.outHeight * g.outWidth;
    arena.reset();
    const px = arena.input(x);
    const pw = arena.input(w);
    const pout = arena.take(out.length);
    const pcols = g.pointwise ? 0 : arena.take(g.patch * planeOut);
    const work = arena.take(kernels.gemmWorkspaceFloats());
    for (let n = 0; n < g.batch; n++) {
      for (let group = 0; group < g.groups; group++) {
        const xAt = px + 4 * (n * g.inChannels + group * g.groupIn) * planeIn;
        const outAt = pout + 4 * (n * g.outChannels + group * g.groupOut) * planeOut;
        const cols = g.pointwise ? xAt : pcols;
        if (!g.pointwise) im2col(xAt, g, pcols);
        // (O/g, OH·OW) = (O/g, patch) · (patch, OH·OW)
        kernels.gemm(g.groupOut, planeOut, g.patch, pw + 4 * group * g.groupOut * g.patch, g.patch, 1, cols, planeOut, 1, outAt, 0, work);
      }
    }
    if (bias) kernels.addChannelBias(pout, g.batch, g.outChannels, planeOut, arena.input(bias));
    arena.output(pout, out);
  }

  function conv2dBackwardInput(
    dy: Float32Array, dyShape: Shape, w: Float32Array, wShape: Shape,
    params: Conv2dParams, dx: Float32Array, dxShape: Shape,
  ): void {
    const g = geometry(dxShape, wShape, dyShape, params);
    const planeIn = g.height * g.width;
    const planeOut = g.outHeight * g.outWidth;
    const dxLength = g.batch * g.inChannels * planeIn;
    arena.reset();
    const pdy = arena.input(dy);
    const pw = arena.input(w);
    // col2im accumulates, and positions no window touches must end up 0.
    const pdx = g.pointwise ? arena.take(dxLength) : arena.takeZeroed(dxLength);
    const pcols = g.pointwise ? 0 : arena.take(g.patch * planeOut);
    const work = arena.take(kernels.gemmWorkspaceFloats());
    for (let n = 0; n < g.batch; n++) {
      for (let group = 0; group < g.groups; group++) {
        const dxAt = pdx + 4 * (n * g.inChannels + group * g.groupIn) * planeIn;
        const dyAt = pdy + 4 * (n * g.outChannels + group * g.groupOut) * planeOut;
        const target = g.pointwise ? dxAt : pcols;
        // (patch, OH·OW) = W_gᵀ · dy_g: W_g is stored (O/g, patch), so A(r, o) = w[o·patch + r].
        kernels.gemm(g.patch, planeOut, g.groupOut, pw + 4 * group * g.groupOut * g.patch, 1, g.patch, dyAt, planeOut, 1, target, 0, work);
        if (!g.pointwise) col2im(pcols, g, dxAt);
      }
    }
    arena.output(pdx, dx.subarray(0, dxLength));
  }

  function conv2dBackwardWeight(
    x: Float32Array, xShape: Shape, dy: Float32Array, dyShape: Shape,
    params: Conv2dParams, dw: Float32Array, dwShape: Shape,
  ): void {
    const g = geometry(xShape, dwShape, dyShape, params);
    const planeIn = g.height * g.width;
    const planeOut = g.outHeight * g.outWidth;
    const dwLength = g.outChannels * g.patch;
    arena.reset();
    const px = arena.input(x);
    const pdy = arena.input(dy);
    // Zeroed so that an empty batch (or empty output planes) still yields dw = 0.
    const pdw = arena.takeZeroed(dwLength);
    const pcols = g.pointwise ? 0 : arena.take(g.patch * planeOut);
    const work = arena.take(kernels.gemmWorkspaceFloats());
    for (let n = 0; n < g.batch; n++) {
      for (let group = 0; group < g.groups; group++) {
        const xAt = px + 4 * (n * g.inChannels + group * g.groupIn) * planeIn;
        const dyAt = pdy + 4 * (n * g.outChannels + group * g.groupOut) * planeOut;
        const cols = g.pointwise ? xAt : pcols;
        if (!g.pointwise) im2col(xAt, g, pcols);
        // (O/g, patch) += (O/g, OH·OW) · colsᵀ: B(q, r) = cols[r·OH·OW + q].
        kernels.gemm(g.groupOut, g.patch, planeOut, dyAt, planeOut, 1, cols, 1, planeOut, pdw + 4 * group * g.groupOut * g.patch, 1, work);
      }
    }
    arena.output(pdw, dw.subarray(0, dwLength));
  }

  return { conv2dForward, conv2dBackwardInput, conv2dBackwardWeight };
}
