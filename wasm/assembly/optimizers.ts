// In-place optimiser updates with PyTorch's formulas (see backend.ts), four parameters per step.

/** g += wd·p; buf = momentum·buf + (1 − dampening)·g (buf = g on the first step); p −= lr·(nesterov ? g + momentum·buf : buf). */
export function sgdStep(
  param: usize, grad: usize, buffer: usize, n: i32,
  lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: bool, firstStep: bool, useMomentum: bool,
): void {
  const vlr = f32x4.splat(lr);
  const vm = f32x4.splat(momentum);
  const vdamp = f32x4.splat(1 - dampening);
  const vwd = f32x4.splat(weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    let g = f32x4.add(v128.load(grad + o), f32x4.mul(vwd, p));
    if (useMomentum) {
      const buf = firstStep ? g : f32x4.add(f32x4.mul(vm, v128.load(buffer + o)), f32x4.mul(vdamp, g));
      v128.store(buffer + o, buf);
      g = nesterov ? f32x4.add(g, f32x4.mul(vm, buf)) : buf;
    }
    v128.store(param + o, f32x4.sub(p, f32x4.mul(vlr, g)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    let g = load<f32>(grad + o) + weightDecay * p;
    if (useMomentum) {
      const buf = firstStep ? g : momentum * load<f32>(buffer + o) + (1 - dampening) * g;
      store<f32>(buffer + o, buf);
      g = nesterov ? g + momentum * buf : buf;
    }
    store<f32>(param + o, p - lr * g);
  }
}

/** Adam / AdamW (Kingma & Ba 2015, Algorithm 1; Loshchilov & Hutter 2019 for the decoupled decay). */
export function adamStep(
  param: usize, grad: usize, m: usize, v: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, decoupled: bool, stepSize: f32, invSqrtBias2: f32,
): void {
  const vb1 = f32x4.splat(beta1);
  const vb1c = f32x4.splat(1 - beta1);
  const vb2 = f32x4.splat(beta2);
  const vb2c = f32x4.splat(1 - beta2);
  const veps = f32x4.splat(eps);
  const vstep = f32x4.splat(stepSize);
  const vinv = f32x4.splat(invSqrtBias2);
  const vdecay = f32x4.splat(lr * weightDecay);
  const vwd = f32x4.splat(weightDecay);
  const hasDecay = weightDecay != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let w = v128.load(param + o);
    let g = v128.load(grad + o);
    if (hasDecay) {
      if (decoupled) w = f32x4.sub(w, f32x4.mul(vdecay, w));
      else g = f32x4.add(g, f32x4.mul(vwd, w));
    }
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vb1c, g));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vb2c, f32x4.mul(g, g)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const denominator = f32x4.add(f32x4.mul(f32x4.sqrt(vi), vinv), veps);
    v128.store(param + o, f32x4.sub(w, f32x4.div(f32x4.mul(vstep, mi), denominator)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let w = load<f32>(param + o);
    let g = load<f32>(grad + o);
    if (hasDecay) {
      if (decoupled) w -= lr * weightDecay * w;
      else g += weightDecay * w;
    }
    const mi = beta1 * load<f32>(m + o) + (1 - beta1) * g;
    const vi = beta2 * load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(param + o, w - (stepSize * mi) / (Mathf.sqrt(vi) * invSqrtBias2 + eps));
  }
}
