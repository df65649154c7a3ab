/**
 * bfloat16 operands for mixed-precision convolutions and matrix products (Kalamkar et al. 2019,
 * "A Study of BFLOAT16 for Deep Learning Training", §3: bf16 inputs, FP32 accumulation and FP32
 * master weights). A bf16 value is the upper half of a float32: same exponent range, 8 bits of
 * significand. This file defines the rounding every backend must reproduce bit for bit; a kernel
 * asked for `precision: 'bf16'` computes exactly what its FP32 version computes on operands
 * passed through `roundToBf16` (only the order of the FP32 sums may differ).
 */
import type { Backend, Conv2dParams, GemmParams } from './backend.js';
import { applyChannelAffine } from './channel-affine.js';

/**
 * The float32 bits of float32 bits `u` rounded to bfloat16: round to nearest, ties to even; NaN
 * stays NaN (made quiet); subnormal inputs become zero of the same sign. That is what the x86
 * conversion instructions VCVTNE2PS2BF16 / VCVTNEPS2BF16 do (they treat denormals as zero), so
 * the native kernels' conversions and this reference agree bit for bit.
 */
function bf16Bits(u: number): number {
  const exponent = u & 0x7f800000;
  if (exponent === 0) return (u & 0x80000000) >>> 0; // zero or subnormal → signed zero
  if (exponent === 0x7f800000 && (u & 0x007fffff) !== 0) return ((u | 0x00400000) & 0xffff0000) >>> 0; // quiet NaN
  // Adding 0x7fff plus the lowest kept bit rounds to nearest with ties to even; a carry into the
  // exponent is the correct result (up to infinity past the largest bf16).
  return ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
}

/** dst[i] = x[i] rounded to bfloat16 (see bf16Bits); dst may be src. */
export function roundArrayToBf16(src: Float32Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const srcBits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const dstBits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) dstBits[i] = bf16Bits(srcBits[i]!);
  return dst;
}

/** x rounded to bfloat16, as a number. */
export function roundToBf16(x: number): number {
  return roundArrayToBf16(Float32Array.of(x))[0]!;
}

type OperandKernels = Pick<Backend, 'gemm' | 'conv2dForward' | 'conv2dBackwardInput' | 'conv2dBackwardWeight'>;

/** The FP32 parameters of a bf16 call: the operands are rounded already. */
const fp32 = <P extends { precision?: unknown }>(p: P): P => ({ ...p, precision: 'fp32' });

/**
 * The bf16 semantics on top of FP32 kernels: a call with `precision: 'bf16'` rounds copies of
 * its operands (never the caller's arrays: master weights stay FP32) and runs the FP32 kernel.
 * This is the definition for the reference backend and the implementation wherever a backend
 * has no bf16 arithmetic of its own.
 */
export function withBf16Operands<K extends OperandKernels>(kernels: K): K {
  const round = (a: Float32Array) => roundArrayToBf16(a);
  return {
    ...kernels,
    gemm: (p: GemmParams, a, b, c) => (p.precision === 'bf16' ? kernels.gemm(fp32(p), round(a), round(b), c) : kernels.gemm(p, a, b, c)),
    // An `input` map applies before rounding: the operand is x' = input(x).
    conv2dForward: (x, xShape, w, wShape, bias, p: Conv2dParams, out, outShape, input) => (p.precision === 'bf16'
      ? kernels.conv2dForward(round(input ? applyChannelAffine(x, xShape, input) : x), xShape, round(w), wShape, bias, fp32(p), out, outShape)
      : kernels.conv2dForward(x, xShape, w, wShape, bias, p, out, outShape, input)),
    conv2dBackwardInput: (dy, dyShape, w, wShape, p: Conv2dParams, dx, dxShape) => (p.precision === 'bf16'
      ? kernels.conv2dBackwardInput(round(dy), dyShape, round(w), wShape, fp32(p), dx, dxShape)
      : kernels.conv2dBackwardInput(dy, dyShape, w, wShape, p, dx, dxShape)),
    conv2dBackwardWeight: (x, xShape, dy, dyShape, p: Conv2dParams, dw, dwShape, input) => (p.precision === 'bf16'
      ? kernels.conv2dBackwardWeight(round(input ? applyChannelAffine(x, xShape, input) : x), xShape, round(dy), dyShape, fp32(p), dw, dwShape)
      : kernels.conv2dBackwardWeight(x, xShape, dy, dyShape, p, dw, dwShape, input)),
  };
}
