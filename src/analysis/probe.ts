/**
 * A linear probe (Alain & Bengio 2016): ridge regression from features to one-hot targets,
 * W = (XᵀX + λI)⁻¹ XᵀY with a bias column, solved exactly (Cholesky, float64); the prediction is
 * the arg-max. Deterministic and cheap, so the probe itself adds no training noise.
 */
export interface ProbeResult {
  trainAccuracy: number;
  testAccuracy: number;
}

function solveCholesky(a: Float64Array, b: Float64Array, d: number, k: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let t = 0; t < j; t++) s -= l[i * d + t]! * l[j * d + t]!;
      if (i === j) {
        if (s <= 0) throw new Error('linearProbe: the regularised Gram matrix is not positive definite; raise the ridge penalty');
        l[i * d + i] = Math.sqrt(s);
      } else l[i * d + j] = s / l[j * d + j]!;
    }
  }
  const x = new Float64Array(d * k);
  for (let c = 0; c < k; c++) {
    const z = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = b[i * k + c]!;
      for (let t = 0; t < i; t++) s -= l[i * d + t]! * z[t]!;
      z[i] = s / l[i * d + i]!;
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let t = i + 1; t < d; t++) s -= l[t * d + i]! * x[t * k + c]!;
      x[i * k + c] = s / l[i * d + i]!;
    }
  }
  return x;
}

/**
 * Fit on the rows marked `train`, report accuracy on both parts. `features` is (rows × width),
 * `targets` the class of each row in 0..classes−1.
 */
export function linearProbe(features: ArrayLike<number>, width: number, targets: ArrayLike<number>, classes: number, train: (row: number) => boolean, options: { ridge?: number } = {}): ProbeResult {
  const rows = targets.length;
  if (features.length !== rows * width) throw new Error(`linearProbe: ${features.length} feature values are not ${rows} rows of ${width}`);
  const ridge = options.ridge ?? 1e-3;
  const d = width + 1;
  const gram = new Float64Array(d * d);
  const xty = new Float64Array(d * classes);
  const row = new Float64Array(d);
  let trainRows = 0;
  for (let r = 0; r < rows; r++) {
    if (!train(r)) continue;
    trainRows++;
    for (let j = 0; j < width; j++) row[j] = features[r * width + j]!;
    row[width] = 1;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) gram[i * d + j]! += row[i]! * row[j]!;
      xty[i * classes + targets[r]!]! += row[i]!;
    }
  }
  if (trainRows === 0) throw new Error('linearProbe: no training rows');
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) gram[j * d + i] = gram[i * d + j]!;
    gram[i * d + i]! += ridge * trainRows;
  }
  const w = solveCholesky(gram, xty, d, classes);
  let trainCorrect = 0;
  let testCorrect = 0;
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    let arg = -1;
    for (let c = 0; c < classes; c++) {
      let s = w[width * classes + c]!;
      for (let j = 0; j < width; j++) s += features[r * width + j]! * w[j * classes + c]!;
      if (s > best) [best, arg] = [s, c];
    }
    if (arg === targets[r]) (train(r) ? trainCorrect++ : testCorrect++);
  }
  const testRows = rows - trainRows;
  return { trainAccuracy: trainCorrect / trainRows, testAccuracy: testRows > 0 ? testCorrect / testRows : NaN };
}
