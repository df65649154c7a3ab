/**
 * Layer normalisation (Ba et al. 2016, §3) of each row of x (rows, cols): biased variance,
 * per-column γ and β. Row sums run in float64; the per-column parameter gradients are summed
 * over rows in a float64 scratch for the same reason.
 */
let columnScratch: Float64Array = new Float64Array(0);

export function layerNormForward(
  x: Float32Array, rows: number, cols: number, gamma: Float32Array | null, beta: Float32Array | null,
  eps: number, out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const end = start + cols;
    let sum = 0;
    for (let i = start; i < end; i++) sum += x[i]!;
    const mean = sum / cols;
    let squares = 0;
    for (let i = start; i < end; i++) {
      const d = x[i]! - mean;
      squares += d * d;
    }
    const invStd = 1 / Math.sqrt(squares / cols + eps);
    saveMean[r] = mean;
    saveInvStd[r] = invStd;
    if (gamma && beta) {
      for (let j = 0; j < cols; j++) out[start + j] = (x[start + j]! - mean) * invStd * gamma[j]! + beta[j]!;
    } else {
      for (let j = 0; j < cols; j++) {
        const y = (x[start + j]! - mean) * invStd;
        out[start + j] = (gamma ? y * gamma[j]! : y) + (beta ? beta[j]! : 0);
      }
    }
  }
}

/**
 * With x̂ = (x − mean)·invStd and g = dy·γ per row of length D:
 *   dx = invStd/D · (D·g − Σg − x̂·Σ(g·x̂)),  dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy.
 */
export function layerNormBackward(
  x: Float32Array, rows: number, cols: number, dy: Float32Array, gamma: Float32Array | null,
  saveMean: Float32Array, saveInvStd: Float32Array,
  dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null,
): void {
  if (columnScratch.length < 2 * cols) columnScratch = new Float64Array(2 * cols);
  const columnSums = columnScratch;
  columnSums.fill(0, 0, 2 * cols);
  const betaOffset = cols;
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const mean = saveMean[r]!;
    const invStd = saveInvStd[r]!;
    let sumG = 0;
    let sumGXhat = 0;
    for (let j = 0; j < cols; j++) {
      const d = dy[start + j]!;
      const xhat = (x[start + j]! - mean) * invStd;
      const g = gamma ? d * gamma[j]! : d;
      sumG += g;
      sumGXhat += g * xhat;
      columnSums[j] = columnSums[j]! + d * xhat;
      columnSums[betaOffset + j] = columnSums[betaOffset + j]! + d;
    }
    const meanG = sumG / cols;
    const meanGXhat = sumGXhat / cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[start + j]! - mean) * invStd;
      const g = gamma ? dy[start + j]! * gamma[j]! : dy[start + j]!;
      dx[start + j] = invStd * (g - meanG - xhat * meanGXhat);
    }
  }
  if (dgamma) for (let j = 0; j < cols; j++) dgamma[j] = columnSums[j]!;
  if (dbeta) for (let j = 0; j < cols; j++) dbeta[j] = columnSums[betaOffset + j]!;
}
