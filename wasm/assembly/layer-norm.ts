// Layer normalisation (Ba et al. 2016, §3) of each row of x (rows, cols), the reference's
// semantics (src/backend/ts/layer-norm.ts). Row sums run in f32x4 lanes combined in f64; the
// per-column parameter gradients are summed over rows in f64 (two lanes per f64x2).

// @ts-ignore: decorator
@inline
function lanesSum(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) + <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/** `gamma` and `beta` are 0 when absent. */
export function layerNormForward(
  x: usize, rows: i32, cols: i32, gamma: usize, beta: usize, eps: f64, out: usize, saveMean: usize, saveInvStd: usize,
): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>j << 2)));
    let sum = lanesSum(acc);
    for (; j < cols; j++) sum += <f64>load<f32>(xr + (<usize>j << 2));
    const mean = sum / <f64>cols;
    const vm = f32x4.splat(<f32>mean);
    acc = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>j << 2)), vm);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let squares = lanesSum(acc);
    for (; j < cols; j++) {
      const d = <f64>load<f32>(xr + (<usize>j << 2)) - mean;
      squares += d * d;
    }
    const invStd = 1 / Math.sqrt(squares / <f64>cols + eps);
    store<f32>(saveMean + (<usize>r << 2), <f32>mean);
    store<f32>(saveInvStd + (<usize>r << 2), <f32>invStd);
    const vs = f32x4.splat(<f32>invStd);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      let y = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vs);
      if (gamma) y = f32x4.mul(y, v128.load(gamma + o));
      if (beta) y = f32x4.add(y, v128.load(beta + o));
      v128.store(yr + o, y);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let y = (load<f32>(xr + o) - <f32>mean) * <f32>invStd;
      if (gamma) y *= load<f32>(gamma + o);
      if (beta) y += load<f32>(beta + o);
      store<f32>(yr + o, y);
    }
  }
}

/**
 * dx = invStd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ; columnSums (2·cols f64, zeroed here)
 * receives Σ_rows dy·x̂ (dγ) then Σ_rows dy (dβ).
 */
export function layerNormBackward(
  x: usize, rows: i32, cols: i32, dy: usize, gamma: usize, saveMean: usize, saveInvStd: usize, dx: usize, columnSums: usize,
): void {
  const rowBytes = <usize>cols << 2;
  const betaSums = columnSums + (<usize>cols << 3);
  memory.fill(columnSums, 0, <usize>cols << 4);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const gr = dy + <usize>r * rowBytes;
    const mean = load<f32>(saveMean + (<usize>r << 2));
    const invStd = load<f32>(saveInvStd + (<usize>r << 2));
    const vm = f32x4.splat(mean);
    const vs = f32x4.splat(invStd);
    let accG = f32x4.splat(0);
    let accGXhat = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const d = v128.load(gr + o);
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vs);
      const g = gamma ? f32x4.mul(d, v128.load(gamma + o)) : d;
      accG = f32x4.add(accG, g);
      accGXhat = f32x4.add(accGXhat, f32x4.mul(g, xhat));
      const q = columnSums + (<usize>j << 3);
      const dxh = f32x4.mul(d, xhat);
      v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(dxh)));
      v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(i32x4.shuffle(dxh, dxh, 2, 3, 0, 1))), 16);
      const qb = betaSums + (<usize>j << 3);
      v128.store(qb, f64x2.add(v128.load(qb), f64x2.promote_low_f32x4(d)));
      v128.store(qb, f64x2.add(v128.load(qb, 16), f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 0, 1))), 16);
    }
    let sumG = lanesSum(accG);
    let sumGXhat = lanesSum(accGXhat);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const d = load<f32>(gr + o);
      const xhat = (load<f32>(xr + o) - mean) * invStd;
      const g = gamma ? d * load<f32>(gamma + o) : d;
      sumG += <f64>g;
      sumGXhat += <f64>(g * xhat);
      const q = columnSums + (<usize>j << 3);
      store<f64>(q, load<f64>(q) + <f64>(d * xhat));
      const qb = betaSums + (<usize>j << 3);
      store<f64>(qb, load<f64>(qb) + <f64>d);
    }
    const meanG = f32x4.splat(<f32>(sumG / <f64>cols));
    const meanGXhat = f32x4.splat(<f32>(sumGXhat / <f64>cols));
    const dxr = dx + <usize>r * rowBytes;
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(xr + o), vm), vs);
      const d = v128.load(gr + o);
      const g = gamma ? f32x4.mul(d, v128.load(gamma + o)) : d;
      v128.store(dxr + o, f32x4.mul(vs, f32x4.sub(f32x4.sub(g, meanG), f32x4.mul(xhat, meanGXhat))));
    }
    const mg = <f32>(sumG / <f64>cols);
    const mgx = <f32>(sumGXhat / <f64>cols);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const xhat = (load<f32>(xr + o) - mean) * invStd;
      const d = load<f32>(gr + o);
      const g = gamma ? d * load<f32>(gamma + o) : d;
      store<f32>(dxr + o, invStd * (g - mg - xhat * mgx));
    }
  }
}
