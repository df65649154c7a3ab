/** Softmax / log-softmax along the middle axis of (outer, axisSize, inner), max-subtracted for stability. */
export function softmaxForward(x: Float32Array, outer: number, axisSize: number, inner: number, log: boolean, out: Float32Array): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * axisSize * inner + j;
      let max = -Infinity;
      for (let a = 0; a < axisSize; a++) max = Math.max(max, x[base + a * inner]!);
      let sum = 0;
      for (let a = 0; a < axisSize; a++) sum += Math.exp(x[base + a * inner]! - max);
      if (log) {
        const logSum = Math.log(sum) + max;
        for (let a = 0; a < axisSize; a++) out[base + a * inner] = x[base + a * inner]! - logSum;
      } else {
        const inv = 1 / sum;
        for (let a = 0; a < axisSize; a++) out[base + a * inner] = Math.exp(x[base + a * inner]! - max) * inv;
      }
    }
  }
}

export function softmaxBackward(y: Float32Array, dy: Float32Array, outer: number, axisSize: number, inner: number, log: boolean, dx: Float32Array): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * axisSize * inner + j;
      if (log) {
        // d logsoftmax: dx = dy − softmax · Σ dy
        let sum = 0;
        for (let a = 0; a < axisSize; a++) sum += dy[base + a * inner]!;
        for (let a = 0; a < axisSize; a++) {
          const i = base + a * inner;
          dx[i] = dy[i]! - Math.exp(y[i]!) * sum;
        }
      } else {
        // d softmax: dx = y · (dy − Σ dy·y)
        let dot = 0;
        for (let a = 0; a < axisSize; a++) dot += dy[base + a * inner]! * y[base + a * inner]!;
        for (let a = 0; a < axisSize; a++) {
          const i = base + a * inner;
          dx[i] = y[i]! * (dy[i]! - dot);
        }
      }
    }
  }
}

export function softmaxCrossEntropyForward(
  logits: Float32Array, rows: number, classes: number, labels: Int32Array, labelSmoothing: number,
  losses: Float32Array, probs: Float32Array,
): void {
  const offValue = labelSmoothing / classes;
  const onValue = 1 - labelSmoothing + offValue;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max);
    const logSum = Math.log(sum) + max;
    const inv = 1 / sum;
    let loss = 0;
    const label = labels[r]!;
    for (let c = 0; c < classes; c++) {
      const logp = logits[base + c]! - logSum;
      probs[base + c] = Math.exp(logits[base + c]! - max) * inv;
      const target = c === label ? onValue : offValue;
      if (target !== 0) loss -= target * logp;
    }
    losses[r] = label < 0 ? 0 : loss;
  }
}

export function softmaxCrossEntropyBackward(
  probs: Float32Array, rows: number, classes: number, labels: Int32Array, labelSmoothing: number,
  dLosses: Float32Array, dLogits: Float32Array,
): void {
  const offValue = labelSmoothing / classes;
  const onValue = 1 - labelSmoothing + offValue;
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    const label = labels[r]!;
    const g = label < 0 ? 0 : dLosses[r]!;
    for (let c = 0; c < classes; c++) {
      const target = c === label ? onValue : offValue;
      dLogits[base + c] = g * (probs[base + c]! - target);
    }
  }
}
