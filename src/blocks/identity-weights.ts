import { BatchNorm1d, BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import type { Module } from '../nn/module.js';

/**
 * Make a plain (skip-less) stack of layers compute the identity on non-negative inputs, for the
 * construction argument of He et al. 2015 §1 ("the added layers are identity mapping"): every
 * convolution gets the identity kernel (1 at the centre tap of channel c → c, zero elsewhere,
 * zero bias), every linear layer the identity matrix, and every batch norm passes through in
 * evaluation mode (running mean 0, running variance 1 − ε so 1/√(var + ε) = 1, γ = 1, β = 0).
 * The ReLUs then see x ≥ 0 and change nothing. `where` names the block in errors.
 */
export function setIdentityWeights(stack: Module, where: string): void {
  for (const m of stack.modules()) {
    if (m instanceof Conv2d) {
      const [kh, kw] = m.kernelSize;
      if (m.inChannels !== m.outChannels || m.groups !== 1 || kh % 2 !== 1 || kw % 2 !== 1 || m.stride[0] !== 1 || m.stride[1] !== 1) {
        throw new Error(`${where}: a convolution (${m.inChannels} -> ${m.outChannels}, kernel ${kh}x${kw}, stride ${m.stride.join('x')}) cannot be an identity`);
      }
      const w = m.weight.f32;
      w.fill(0);
      for (let c = 0; c < m.outChannels; c++) w[((c * m.inChannels + c) * kh + (kh - 1) / 2) * kw + (kw - 1) / 2] = 1;
      m.bias?.f32.fill(0);
    } else if (m instanceof Linear) {
      if (m.inFeatures !== m.outFeatures) throw new Error(`${where}: a linear layer (${m.inFeatures} -> ${m.outFeatures}) cannot be an identity`);
      const w = m.weight.f32;
      w.fill(0);
      for (let i = 0; i < m.outFeatures; i++) w[i * m.inFeatures + i] = 1;
      m.bias?.f32.fill(0);
    } else if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) {
      m.running_mean?.f32.fill(0);
      m.running_var?.f32.fill(1 - m.eps);
      m.weight?.f32.fill(1);
      m.bias?.f32.fill(0);
    }
  }
}
