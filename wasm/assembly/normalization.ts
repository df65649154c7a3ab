// Batch-norm building blocks (Ioffe & Szegedy 2015, Algorithm 1) over x viewed as (N, C, S).
// Each row of S values is summed in f32x4 lanes (short, so little rounding) and the rows are
// accumulated in f64, as the reference accumulates in float64: a float32 running sum over
// N·S ≈ 10⁵ values would lose about three digits of the mean. The per-channel arithmetic
// (inverse std, running statistics) is O(C) and stays in TypeScript.

// @ts-ignore: decorator
@inline
function horizontalSum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/**
 * mean[c] = Σ x / (N·S); variance[c] = Σ (x − mean)² / (N·S) (two-pass, biased). The f32 lanes
 * sum x − first (the channel's first value), so they keep their digits when |mean| ≫ σ.
 * `imageChannels` is the channel count of the whole tensor, so a thread can take a run of
 * `channels` channels starting at x (and at mean, variance).
 */
export function batchNormStatistics(x: usize, batch: i32, channels: i32, spatial: i32, mean: usize, variance: usize, imageChannels: i32): void {
  const rowBytes = <usize>spatial << 2;
  const imageBytes = <usize>imageChannels * rowBytes;
  const count = <f64>batch * <f64>spatial;
  for (let c = 0; c < channels; c++) {
    const first = load<f32>(x + <usize>c * rowBytes);
    const vfirst = f32x4.splat(first);
    let sum: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const row = x + <usize>n * imageBytes + <usize>c * rowBytes;
      let acc = f32x4.splat(0);
      let s = 0;
      for (; s + 4 <= spatial; s += 4) acc = f32x4.add(acc, f32x4.sub(v128.load(row + (<usize>s << 2)), vfirst));
      let tail: f64 = 0;
      for (; s < spatial; s++) tail += <f64>(load<f32>(row + (<usize>s << 2)) - first);
      sum += horizontalSum(acc) + tail;
    }
    const m = <f64>first + sum / count;
    const mf = <f32>m;
    const vm = f32x4.splat(mf);
    let squares: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const row = x + <usize>n * imageBytes + <usize>c * rowBytes;
      let acc = f32x4.splat(0);
      let s = 0;
      for (; s + 4 <= spatial; s += 4) {
        const d = f32x4.sub(v128.load(row + (<usize>s << 2)), vm);
        acc = f32x4.add(acc, f32x4.mul(d, d));
      }
      let tail: f64 = 0;
      for (; s < spatial; s++) {
        const d = <f64>(load<f32>(row + (<usize>s << 2)) - mf);
        tail += d * d;
      }
      squares += horizontalSum(acc) + tail;
    }
    // The lanes centred on the f32 mean: Σ(x − m̃)² = Σ(x − m)² + N·(m − m̃)².
    const rounding = m - <f64>mf;
    store<f64>(mean + (<usize>c << 3), m);
    store<f64>(variance + (<usize>c << 3), Math.max(0, squares - count * rounding * rounding) / count);
  }
}

/**
 * out[n, c, s] = (x[n, c, s] − center[c])·scale[c] + shift[c] (centring first keeps digits when
 * |mean| ≫ σ), then max(·, 0) when `relu` (batch norm fused with the following ReLU).
 */
export function channelAffine(x: usize, out: usize, batch: i32, channels: i32, spatial: i32, center: usize, scale: usize, shift: usize, relu: bool): void {
  const rowBytes = <usize>spatial << 2;
  const zero = f32x4.splat(0);
  let offset: usize = 0;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const m = load<f32>(center + (<usize>c << 2));
      const a = load<f32>(scale + (<usize>c << 2));
      const b = load<f32>(shift + (<usize>c << 2));
      const vm = f32x4.splat(m);
      const va = f32x4.splat(a);
      const vb = f32x4.splat(b);
      const src = x + offset;
      const dst = out + offset;
      let s = 0;
      for (; s + 4 <= spatial; s += 4) {
        const o = <usize>s << 2;
        let v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(src + o), vm), va), vb);
        // The reference's v > 0 ? v : 0 (a NaN becomes 0), not f32x4.max, which keeps NaN.
        if (relu) v = v128.and(v, f32x4.gt(v, zero));
        v128.store(dst + o, v);
      }
      for (; s < spatial; s++) {
        const o = <usize>s << 2;
        const v = (load<f32>(src + o) - m) * a + b;
        store<f32>(dst + o, relu ? (v > 0 ? v : 0) : v);
      }
      offset += rowBytes;
    }
  }
}

/**
 * sumDy[c] = Σ dy; sumDyCentered[c] = Σ dy·(x − mean[c]) (f64 outputs); `imageChannels` as in
 * batchNormStatistics.
 */
export function batchNormBackwardSums(
  x: usize, dy: usize, batch: i32, channels: i32, spatial: i32, mean: usize, sumDy: usize, sumDyCentered: usize, imageChannels: i32,
): void {
  const rowBytes = <usize>spatial << 2;
  const imageBytes = <usize>imageChannels * rowBytes;
  for (let c = 0; c < channels; c++) {
    const mf = load<f32>(mean + (<usize>c << 2));
    const vm = f32x4.splat(mf);
    let total: f64 = 0;
    let totalCentered: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const offset = <usize>n * imageBytes + <usize>c * rowBytes;
      const xr = x + offset;
      const gr = dy + offset;
      let acc = f32x4.splat(0);
      let accCentered = f32x4.splat(0);
      let s = 0;
      for (; s + 4 <= spatial; s += 4) {
        const o = <usize>s << 2;
        const g = v128.load(gr + o);
        acc = f32x4.add(acc, g);
        accCentered = f32x4.add(accCentered, f32x4.mul(g, f32x4.sub(v128.load(xr + o), vm)));
      }
      let tail: f64 = 0;
      let tailCentered: f64 = 0;
      for (; s < spatial; s++) {
        const o = <usize>s << 2;
        const g = <f64>load<f32>(gr + o);
        tail += g;
        tailCentered += g * <f64>(load<f32>(xr + o) - mf);
      }
      total += horizontalSum(acc) + tail;
      totalCentered += horizontalSum(accCentered) + tailCentered;
    }
    store<f64>(sumDy + (<usize>c << 3), total);
    store<f64>(sumDyCentered + (<usize>c << 3), totalCentered);
  }
}

/**
 * Training-mode input gradient, the reference's form: dx = scale·(dy − meanDy − (x − mean)·k)
 * with per-channel coefficients packed as coefficients[4c..4c+3] = (scale, meanDy, mean, k).
 */
export function batchNormBackwardInput(x: usize, dy: usize, dx: usize, batch: i32, channels: i32, spatial: i32, coefficients: usize): void {
  const rowBytes = <usize>spatial << 2;
  let offset: usize = 0;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const cp = coefficients + (<usize>c << 4);
      const scale = load<f32>(cp);
      const meanDy = load<f32>(cp, 4);
      const m = load<f32>(cp, 8);
      const k = load<f32>(cp, 12);
      const vs = f32x4.splat(scale);
      const vd = f32x4.splat(meanDy);
      const vm = f32x4.splat(m);
      const vk = f32x4.splat(k);
      let s = 0;
      for (; s + 4 <= spatial; s += 4) {
        const o = offset + (<usize>s << 2);
        const centered = f32x4.mul(f32x4.sub(v128.load(x + o), vm), vk);
        v128.store(dx + o, f32x4.mul(vs, f32x4.sub(f32x4.sub(v128.load(dy + o), vd), centered)));
      }
      for (; s < spatial; s++) {
        const o = offset + (<usize>s << 2);
        store<f32>(dx + o, scale * (load<f32>(dy + o) - meanDy - (load<f32>(x + o) - m) * k));
      }
      offset += rowBytes;
    }
  }
}
