// Vector transcendental functions on f32x4, accurate to a few float32 ulps: enough for the
// 1e-4 relative agreement with the TypeScript reference (which rounds float64 results).

const LOG2E: f32 = 1.4426950408889634;
// ln 2 split in two so n·LN2_HIGH is exact for |n| < 2^9 (Cody & Waite range reduction).
const LN2_HIGH: f32 = 0.693359375;
const LN2_LOW: f32 = -2.12194440e-4;
const EXP_MAX: f32 = 88.3762626647949;
const EXP_MIN: f32 = -87.3365478515625;

/** e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 minimax polynomial (Cephes expf), 2^n by exponent bits. */
// @ts-ignore: decorator
@inline
export function expVector(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HIGH)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LOW)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  p = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
  // 2^n: n + 127 in the exponent field. n ≥ −126 after the clamp, so the result stays normal.
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, pow2);
}

/** 1 / (1 + e^−x). */
// @ts-ignore: decorator
@inline
export function sigmoidVector(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), expVector(f32x4.neg(x))));
}

/** tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1)): the form without overflow for large |x|. */
// @ts-ignore: decorator
@inline
export function tanhVector(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = expVector(f32x4.add(a, a));
  const t = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  // Copy the sign bit of x onto t.
  const signBit = i32x4.splat(0x80000000);
  return v128.or(v128.andnot(t, signBit), v128.and(x, signBit));
}

/** erf by Abramowitz & Stegun 7.1.26, the same formula as the TypeScript reference. */
// @ts-ignore: decorator
@inline
export function erfVector(x: v128): v128 {
  const a = f32x4.min(f32x4.abs(x), f32x4.splat(6));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.3275911), a)));
  let p = f32x4.splat(1.061405429);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.453152027));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.421413741));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.284496736));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.254829592));
  p = f32x4.mul(p, t);
  const y = f32x4.sub(f32x4.splat(1), f32x4.mul(p, expVector(f32x4.neg(f32x4.mul(a, a)))));
  const signBit = i32x4.splat(0x80000000);
  return v128.or(v128.andnot(y, signBit), v128.and(x, signBit));
}
