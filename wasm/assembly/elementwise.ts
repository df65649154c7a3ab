// Elementwise kernels over f32x4. Op codes are the indices of UNARY_OPS / BINARY_OPS in
// src/backend/wasm/elementwise.ts; the switch sits outside the loops so each loop is tight.
import { erfVector, expVector, sigmoidVector, tanhVector } from './math';

const NEG = 0, EXP = 1, LOG = 2, SQRT = 3, ABS = 4, SQUARE = 5, RECIPROCAL = 6, RELU = 7, GELU = 8, SIGMOID = 9, TANH = 10;
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAXIMUM = 4, MINIMUM = 5;

const INV_SQRT2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// @ts-ignore: decorator
@inline
function unaryVector(op: i32, v: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(v);
    case EXP: return expVector(v);
    case SQRT: return f32x4.sqrt(v);
    case ABS: return f32x4.abs(v);
    case SQUARE: return f32x4.mul(v, v);
    case RECIPROCAL: return f32x4.div(f32x4.splat(1), v);
    case RELU: return v128.and(v, f32x4.gt(v, f32x4.splat(0))); // v > 0 ? v : 0, as the reference
    case GELU: {
      const cdf = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), erfVector(f32x4.mul(v, f32x4.splat(INV_SQRT2)))));
      return f32x4.mul(v, cdf);
    }
    case SIGMOID: return sigmoidVector(v);
    case TANH: return tanhVector(v);
  }
  unreachable();
  return v;
}

/** out[i] = f(x[i]) for n elements. `log` stays scalar (Mathf.log): it is rare in a training step. */
export function unary(op: i32, x: usize, out: usize, n: i32): void {
  if (op == LOG) {
    for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), Mathf.log(load<f32>(x + (<usize>i << 2))));
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, unaryVector(op, v128.load(x + o)));
  }
  if (i < n) {
    // Tail: run the vector path on a zero-padded copy so the tail gets the same arithmetic.
    const tail = loadTail(x + (<usize>i << 2), n - i);
    storeTail(out + (<usize>i << 2), unaryVector(op, tail), n - i);
  }
}

// @ts-ignore: decorator
@inline
function loadTail(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline
function storeTail(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// @ts-ignore: decorator
@inline
function unaryBackwardVector(op: i32, x: v128, y: v128, dy: v128): v128 {
  switch (op) {
    case NEG: return f32x4.neg(dy);
    case EXP: return f32x4.mul(dy, y);
    case LOG: return f32x4.div(dy, x);
    case SQRT: return f32x4.div(f32x4.mul(dy, f32x4.splat(0.5)), y);
    case ABS: {
      // sign(x): +1, −1, or 0 at 0 (and NaN stays NaN through the multiply by dy).
      const one = f32x4.splat(1);
      const positive = f32x4.gt(x, f32x4.splat(0));
      const negative = f32x4.lt(x, f32x4.splat(0));
      const sign = v128.or(v128.and(positive, one), v128.and(negative, f32x4.neg(one)));
      return f32x4.mul(dy, sign);
    }
    case SQUARE: return f32x4.mul(f32x4.mul(f32x4.splat(2), dy), x);
    case RECIPROCAL: return f32x4.mul(f32x4.neg(dy), f32x4.mul(y, y));
    case RELU: return v128.and(dy, f32x4.gt(x, f32x4.splat(0)));
    case GELU: {
      const cdf = f32x4.mul(f32x4.splat(0.5), f32x4.add(f32x4.splat(1), erfVector(f32x4.mul(x, f32x4.splat(INV_SQRT2)))));
      const pdf = f32x4.mul(f32x4.splat(INV_SQRT_2PI), expVector(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(x, x))));
      return f32x4.mul(dy, f32x4.add(cdf, f32x4.mul(x, pdf)));
    }
    case SIGMOID: return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(f32x4.splat(1), y)));
    case TANH: return f32x4.mul(dy, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)));
  }
  unreachable();
  return dy;
}

/** dx[i] = dy[i]·f'(x[i]), with y = f(x) from the forward pass. */
export function unaryBackward(op: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, unaryBackwardVector(op, v128.load(x + o), v128.load(y + o), v128.load(dy + o)));
  }
  if (i < n) {
    const o = <usize>i << 2;
    const r = unaryBackwardVector(op, loadTail(x + o, n - i), loadTail(y + o, n - i), loadTail(dy + o, n - i));
    storeTail(dx + o, r, n - i);
  }
}

// @ts-ignore: decorator
@inline
function binaryVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(a, b);
    case SUB: return f32x4.sub(a, b);
    case MUL: return f32x4.mul(a, b);
    case DIV: return f32x4.div(a, b);
    // The reference's a > b ? a : b (and a < b ? a : b): b when either is NaN or they are equal.
    case MAXIMUM: return v128.bitselect(a, b, f32x4.gt(a, b));
    case MINIMUM: return v128.bitselect(a, b, f32x4.lt(a, b));
  }
  unreachable();
  return a;
}

/**
 * out = a ∘ b over a broadcast box of up to 4 dimensions (d0, d1, d2, d3), where a and b are
 * read with per-dimension element strides (0 on broadcast dimensions). The innermost dimension
 * is vectorised when both inner strides are 0 or 1.
 */
export function binaryStrided(
  op: i32, a: usize, b: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32,
  a0: i32, a1: i32, a2: i32, a3: i32,
  b0: i32, b1: i32, b2: i32, b3: i32,
): void {
  let o = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const pa = a + (<usize>(i0 * a0 + i1 * a1 + i2 * a2) << 2);
        const pb = b + (<usize>(i0 * b0 + i1 * b1 + i2 * b2) << 2);
        let j = 0;
        if (a3 <= 1 && b3 <= 1) {
          const av = f32x4.splat(load<f32>(pa));
          const bv = f32x4.splat(load<f32>(pb));
          for (; j + 4 <= d3; j += 4) {
            const va = a3 == 1 ? v128.load(pa + (<usize>j << 2)) : av;
            const vb = b3 == 1 ? v128.load(pb + (<usize>j << 2)) : bv;
            v128.store(o + (<usize>j << 2), binaryVector(op, va, vb));
          }
        }
        for (; j < d3; j++) {
          const va = f32x4.splat(load<f32>(pa + (<usize>(j * a3) << 2)));
          const vb = f32x4.splat(load<f32>(pb + (<usize>(j * b3) << 2)));
          store<f32>(o + (<usize>j << 2), f32x4.extract_lane(binaryVector(op, va, vb), 0));
        }
        o += <usize>d3 << 2;
      }
    }
  }
}

/** out[i] = alpha·x[i] + beta. */
export function affine(x: usize, alpha: f32, beta: f32, out: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(f32x4.mul(va, v128.load(x + o)), vb));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, alpha * load<f32>(x + o) + beta);
  }
}

/** y[i] += alpha·x[i]. */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

/**
 * out[i] = 0 for i < n: a native memset (memory.fill), which JavaScript's TypedArray.fill is
 * not on a shared memory (V8 fills a SharedArrayBuffer with relaxed atomic stores).
 */
export function fillZeros(out: usize, n: i32): void {
  memory.fill(out, 0, <usize>n << 2);
}
