// Softmax, log-softmax and softmax cross-entropy, max-subtracted for stability. Rows are short
// (classes) or strided (inner > 1), so these are scalar; exp and log are AssemblyScript's Mathf.

/** Softmax (or log-softmax) along the middle axis of x viewed as (outer, axisSize, inner). */
export function softmaxForward(x: usize, outer: i32, axisSize: i32, inner: i32, log: bool, out: usize): void {
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = (<usize>(o * axisSize * inner + j)) << 2;
      let max: f32 = -Infinity;
      for (let a = 0; a < axisSize; a++) max = Mathf.max(max, load<f32>(x + base + <usize>a * step));
      let sum: f64 = 0;
      for (let a = 0; a < axisSize; a++) sum += <f64>Mathf.exp(load<f32>(x + base + <usize>a * step) - max);
      if (log) {
        const logSum = <f32>(Math.log(sum) + <f64>max);
        for (let a = 0; a < axisSize; a++) {
          const i = base + <usize>a * step;
          store<f32>(out + i, load<f32>(x + i) - logSum);
        }
      } else {
        const inv = <f32>(1 / sum);
        for (let a = 0; a < axisSize; a++) {
          const i = base + <usize>a * step;
          store<f32>(out + i, Mathf.exp(load<f32>(x + i) - max) * inv);
        }
      }
    }
  }
}

export function softmaxBackward(y: usize, dy: usize, outer: i32, axisSize: i32, inner: i32, log: bool, dx: usize): void {
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = (<usize>(o * axisSize * inner + j)) << 2;
      if (log) {
        // d logsoftmax: dx = dy − softmax·Σdy
        let sum: f64 = 0;
        for (let a = 0; a < axisSize; a++) sum += <f64>load<f32>(dy + base + <usize>a * step);
        const s = <f32>sum;
        for (let a = 0; a < axisSize; a++) {
          const i = base + <usize>a * step;
          store<f32>(dx + i, load<f32>(dy + i) - Mathf.exp(load<f32>(y + i)) * s);
        }
      } else {
        // d softmax: dx = y·(dy − Σ dy·y)
        let dot: f64 = 0;
        for (let a = 0; a < axisSize; a++) {
          const i = base + <usize>a * step;
          dot += <f64>load<f32>(dy + i) * <f64>load<f32>(y + i);
        }
        const d = <f32>dot;
        for (let a = 0; a < axisSize; a++) {
          const i = base + <usize>a * step;
          store<f32>(dx + i, load<f32>(y + i) * (load<f32>(dy + i) - d));
        }
      }
    }
  }
}

/** Per-row cross-entropy with label smoothing ε (target = (1 − ε)·onehot + ε/classes); label < 0 rows give 0. */
export function softmaxCrossEntropyForward(
  logits: usize, rows: i32, classes: i32, labels: usize, labelSmoothing: f64, losses: usize, probs: usize,
): void {
  const offValue = labelSmoothing / <f64>classes;
  const onValue = 1 - labelSmoothing + offValue;
  for (let r = 0; r < rows; r++) {
    const base = (<usize>(r * classes)) << 2;
    let max: f32 = -Infinity;
    for (let c = 0; c < classes; c++) max = Mathf.max(max, load<f32>(logits + base + (<usize>c << 2)));
    let sum: f64 = 0;
    for (let c = 0; c < classes; c++) sum += <f64>Mathf.exp(load<f32>(logits + base + (<usize>c << 2)) - max);
    const logSum = Math.log(sum) + <f64>max;
    const inv = 1 / sum;
    const label = load<i32>(labels + (<usize>r << 2));
    let loss: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const v = load<f32>(logits + base + (<usize>c << 2));
      store<f32>(probs + base + (<usize>c << 2), <f32>(<f64>Mathf.exp(v - max) * inv));
      const target = c == label ? onValue : offValue;
      if (target != 0) loss -= target * (<f64>v - logSum);
    }
    store<f32>(losses + (<usize>r << 2), label < 0 ? 0 : <f32>loss);
  }
}

/** dLogits row r = dLosses[r]·(probs row r − target row r); rows with a negative label get 0. */
export function softmaxCrossEntropyBackward(
  probs: usize, rows: i32, classes: i32, labels: usize, labelSmoothing: f64, dLosses: usize, dLogits: usize,
): void {
  const offValue = <f32>(labelSmoothing / <f64>classes);
  const onValue = <f32>(1 - labelSmoothing + labelSmoothing / <f64>classes);
  for (let r = 0; r < rows; r++) {
    const base = (<usize>(r * classes)) << 2;
    const label = load<i32>(labels + (<usize>r << 2));
    const g: f32 = label < 0 ? 0 : load<f32>(dLosses + (<usize>r << 2));
    for (let c = 0; c < classes; c++) {
      const target = c == label ? onValue : offValue;
      const i = base + (<usize>c << 2);
      store<f32>(dLogits + i, g * (load<f32>(probs + i) - target));
    }
  }
}
