import type { AdamParams, SgdParams } from '../backend.js';

export function sgdStep(param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null, p: SgdParams): void {
  const { lr, momentum, dampening, weightDecay, nesterov, firstStep } = p;
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]! + weightDecay * param[i]!;
    if (momentum !== 0 && momentumBuffer) {
      const buf = firstStep ? g : momentum * momentumBuffer[i]! + (1 - dampening) * g;
      momentumBuffer[i] = buf;
      g = nesterov ? g + momentum * buf : buf;
    }
    param[i] = param[i]! - lr * g;
  }
}

export function adamStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, p: AdamParams): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step } = p;
  const bias1 = 1 - Math.pow(beta1, step);
  const bias2 = 1 - Math.pow(beta2, step);
  const stepSize = lr / bias1;
  const sqrtBias2 = Math.sqrt(bias2);
  for (let i = 0; i < param.length; i++) {
    let w = param[i]!;
    let g = grad[i]!;
    if (weightDecay !== 0) {
      if (decoupledWeightDecay) w -= lr * weightDecay * w;
      else g += weightDecay * w;
    }
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = w - (stepSize * mi) / (Math.sqrt(vi) / sqrtBias2 + eps);
  }
}
