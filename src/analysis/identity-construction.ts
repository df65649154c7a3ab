import { ResidualBlock } from '../blocks/residual.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import type { Module } from '../nn/module.js';
import { skipBlocks, type AnalysedModel } from './model-parts.js';

/**
 * Make a shape-keeping plain block compute the identity on non-negative inputs: every 3x3 (odd)
 * convolution gets the identity kernel (1 at the centre tap of channel c → c, zero elsewhere, zero
 * bias) and every batch norm passes through in evaluation mode (running mean 0, running variance
 * 1 − ε so 1/√(var + ε) = 1, γ = 1, β = 0). The ReLUs then see x ≥ 0 and change nothing.
 */
function setPlainIdentity(block: Module, path: string): void {
  for (const m of block.modules()) {
    if (m instanceof Conv2d) {
      const [kh, kw] = m.kernelSize;
      if (m.inChannels !== m.outChannels || m.groups !== 1 || kh % 2 !== 1 || kw % 2 !== 1 || m.stride[0] !== 1 || m.stride[1] !== 1) {
        throw new Error(`identityConstruction: a convolution in block '${path}' (${m.inChannels} -> ${m.outChannels}, kernel ${kh}x${kw}, stride ${m.stride.join('x')}) cannot be an identity`);
      }
      const w = m.weight.f32;
      w.fill(0);
      for (let c = 0; c < m.outChannels; c++) w[((c * m.inChannels + c) * kh + (kh - 1) / 2) * kw + (kw - 1) / 2] = 1;
      m.bias?.f32.fill(0);
    } else if (m instanceof BatchNorm2d) {
      m.running_mean?.f32.fill(0);
      m.running_var?.f32.fill(1 - m.eps);
      m.weight?.f32.fill(1);
      m.bias?.f32.fill(0);
    }
  }
}

/**
 * The seeds' construction argument (He et al. 2015 §1: "the added layers are identity mapping,
 * and the other layers are copied from the learned shallower model"): fill `deep` — a deeper
 * build of the same architecture — from the trained `shallow` model. Every block of `shallow`
 * must exist under the same path in `deep` (e.g. the first blocks of each stage); the blocks that
 * only `deep` has are set to the identity: a zero branch for residual blocks, identity kernels and
 * pass-through batch norm for plain blocks. In evaluation mode `deep` then computes exactly what
 * `shallow` does. Returns `deep` (a separate model); `shallow` is not changed.
 */
export function identityConstruction<T extends AnalysedModel>(shallow: AnalysedModel, deep: T): { model: T; copied: string[]; inserted: string[] } {
  const shallowBlocks = new Set(skipBlocks(shallow).map((b) => b.path));
  const deepBlocks = skipBlocks(deep);
  for (const path of shallowBlocks) {
    if (!deepBlocks.some((b) => b.path === path)) throw new Error(`identityConstruction: block '${path}' of the shallow model has no counterpart in the deep model`);
  }
  const inserted = deepBlocks.filter((b) => !shallowBlocks.has(b.path));
  const insertedPaths = inserted.map((b) => b.path);
  const source = shallow.stateDict();
  const copied: string[] = [];
  for (const [key, target] of Object.entries(deep.stateDict())) {
    if (insertedPaths.some((p) => key.startsWith(`${p}.`))) continue;
    const value = source[key];
    if (!value) throw new Error(`identityConstruction: the deep model's '${key}' has no counterpart in the shallow model`);
    if (value.size !== target.size) throw new Error(`identityConstruction: '${key}' has ${value.size} values in the shallow model and ${target.size} in the deep one`);
    target.data.set(value.data);
    copied.push(key);
  }
  for (const { path, module } of inserted) {
    if (module instanceof ResidualBlock && module.downsample) {
      if (module.downsample.kind !== 'identity') throw new Error(`identityConstruction: inserted block '${path}' changes shape (shortcut '${module.downsample.kind}')`);
      module.zeroInitResidual(); // "For residual nets the identity is simply a zero branch."
    } else {
      setPlainIdentity(module, path);
    }
  }
  return { model: deep, copied, inserted: insertedPaths };
}
