// Reductions of x viewed as (outer, reduced, inner): the axes set reduced is contiguous, which
// covers every reduction a training step makes (bias gradients, means, losses). Sums accumulate
// short f32x4 runs into f64 like the reference's float64 accumulation.

const SUM = 0, MEAN = 1, MAX = 2;
const RUN = 256;

export function reduceContiguous(op: i32, x: usize, outer: i32, reduced: i32, inner: i32, out: usize, scratch: usize): void {
  const rowBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>o * <usize>reduced * rowBytes;
    const dst = out + (<usize>(o * inner) << 2);
    if (op == MAX) {
      for (let j = 0; j < inner; j++) {
        store<f32>(dst + (<usize>j << 2), reduced > 0 ? load<f32>(base + (<usize>j << 2)) : -Infinity);
      }
      for (let r = 1; r < reduced; r++) {
        const row = base + <usize>r * rowBytes;
        let j = 0;
        // f32x4.max propagates NaN, as the reference's `x > best || isNaN(x)`.
        for (; j + 4 <= inner; j += 4) {
          const q = dst + (<usize>j << 2);
          v128.store(q, f32x4.max(v128.load(q), v128.load(row + (<usize>j << 2))));
        }
        for (; j < inner; j++) {
          const q = dst + (<usize>j << 2);
          store<f32>(q, Mathf.max(load<f32>(q), load<f32>(row + (<usize>j << 2))));
        }
      }
      continue;
    }
    const divisor: f64 = op == MEAN ? <f64>reduced : 1;
    if (inner == 1) {
      let total: f64 = 0;
      for (let r0 = 0; r0 < reduced; r0 += RUN) {
        const r1 = min(reduced, r0 + RUN);
        let acc = f32x4.splat(0);
        let r = r0;
        for (; r + 4 <= r1; r += 4) acc = f32x4.add(acc, v128.load(base + (<usize>r << 2)));
        let tail: f64 = 0;
        for (; r < r1; r++) tail += <f64>load<f32>(base + (<usize>r << 2));
        total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
          <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3) + tail;
      }
      store<f32>(dst, <f32>(total / divisor));
      continue;
    }
    // inner > 1: float64 accumulators for each inner position, two lanes per f64x2.
    memory.fill(scratch, 0, <usize>inner << 3);
    for (let r = 0; r < reduced; r++) {
      const row = base + <usize>r * rowBytes;
      let j = 0;
      for (; j + 4 <= inner; j += 4) {
        const v = v128.load(row + (<usize>j << 2));
        const q = scratch + (<usize>j << 3);
        v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
        v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
      }
      for (; j < inner; j++) {
        const q = scratch + (<usize>j << 3);
        store<f64>(q, load<f64>(q) + <f64>load<f32>(row + (<usize>j << 2)));
      }
    }
    for (let j = 0; j < inner; j++) store<f32>(dst + (<usize>j << 2), <f32>(load<f64>(scratch + (<usize>j << 3)) / divisor));
  }
}
