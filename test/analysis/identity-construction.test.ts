import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { identityConstruction } from '../../src/analysis/identity-construction.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import type { Module } from '../../src/nn/module.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';
import { modelState } from '../helpers/model-state.js';

/** Non-trivial BN statistics, as after training, so eval mode is not a no-op. */
function randomizeBatchNorms(model: Module, rng: Rng): void {
  for (const m of model.modules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    for (let c = 0; c < m.numFeatures; c++) {
      m.weight!.f32[c] = 0.5 + rng.uniform();
      m.bias!.f32[c] = 0.3 * rng.normal();
      m.running_mean!.f32[c] = 0.2 * rng.normal();
      m.running_var!.f32[c] = 0.5 + rng.uniform();
    }
  }
}

describe('identityConstruction', () => {
  const x = randn([3, 1, 12, 12], { rng: new Rng(9) });
  for (const skip of ['none', 'identity'] as const) {
    it(`gives a deeper ${skip === 'none' ? 'plain' : 'residual'} net exactly the shallow net's outputs`, () => {
      const shallow = resnetCifar({ depth: 8, skip, inChannels: 1, numClasses: 5, baseWidth: 4, rng: new Rng(1) });
      randomizeBatchNorms(shallow, new Rng(2));
      const deep = resnetCifar({ depth: 20, skip, inChannels: 1, numClasses: 5, baseWidth: 4, rng: new Rng(3) });
      const before = noGrad(() => deep.eval().forward(x).toFloat32Array());
      const [shallowState, deepState] = [modelState(shallow), modelState(deep)];
      const { model, inserted } = identityConstruction(shallow, deep);
      expect(model).not.toBe(deep);
      expect(modelState(deep)).toEqual(deepState); // a new model: neither argument changes
      expect(modelState(shallow)).toEqual(shallowState);
      expect(noGrad(() => deep.forward(x).toFloat32Array())).toEqual(before);
      expect(inserted).toEqual(['layer1.1', 'layer1.2', 'layer2.1', 'layer2.2', 'layer3.1', 'layer3.2']);
      const expected = noGrad(() => shallow.eval().forward(x).toFloat32Array());
      const actual = noGrad(() => model.eval().forward(x).toFloat32Array());
      expect(before).not.toEqual(expected);
      expect(Array.from(actual)).toEqual(Array.from(expected));
    });
  }

  it('refuses to insert a block that cannot be an identity, naming it', () => {
    // A plain pre-activation block starts with relu(bn(x)): no weights make it the identity on x < 0.
    const shallowPlain = resnetCifar({ depth: 8, skip: 'none', block: 'preact', inChannels: 1, baseWidth: 4, rng: new Rng(1) });
    const deepPlain = resnetCifar({ depth: 14, skip: 'none', block: 'preact', inChannels: 1, baseWidth: 4, rng: new Rng(1) });
    expect(() => identityConstruction(shallowPlain, deepPlain)).toThrow(/inserted block 'layer1.1' cannot be an identity \(PreActBlock.*plain twin rectifies its input/);
  });

  it('refuses a deep model that lacks one of the shallow blocks', () => {
    const shallow = resnetCifar({ depth: 14, skip: 'none', inChannels: 1, baseWidth: 4, rng: new Rng(1) });
    const deep = resnetCifar({ depth: 8, skip: 'none', inChannels: 1, baseWidth: 4, rng: new Rng(1) });
    expect(() => identityConstruction(shallow, deep)).toThrow(/layer1.1' of the shallow model has no counterpart/);
  });
});
