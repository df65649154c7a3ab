import type { Conv2dParams, Shape } from './backend.js';

/** The sizes every conv kernel needs, resolved once from the shapes and params. */
export interface ConvGeometry {
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
  params: Conv2dParams;
}

export function convGeometry(xShape: Shape, wShape: Shape, yShape: Shape, p: Conv2dParams): ConvGeometry {
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
    dilationH: p.dilation[0], dilationW: p.dilation[1], pointwise, params: p,
  };
}

