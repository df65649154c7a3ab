import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autograd/no-grad.js';
import { cloneModule } from '../../src/nn/clone.js';
import { createModel } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';
import { modelState } from '../helpers/model-state.js';

describe('cloneModule', () => {
  it('copies a model: same class, names, values and outputs, sharing no storage and no hooks', () => {
    const model = createModel('densenet_bc_40', { growthRate: 2, inChannels: 1, dropout: 0.2, rng: new Rng(1) });
    const x = randn([2, 1, 8, 8], { rng: new Rng(2) });
    noGrad(() => model.forward(x)); // move the running statistics
    let calls = 0;
    const remove = model.registerForwardHook(() => void calls++);
    const copy = cloneModule(model);
    expect(copy).toBeInstanceOf(model.constructor);
    expect(copy.hooked).toBe(false);
    const { hooked, ...rest } = modelState(model);
    expect(hooked).toEqual(['']);
    expect(modelState(copy)).toEqual({ ...rest, hooked: [] });
    expect(copy.skips()).toEqual(model.skips());
    const out = (m: typeof model) => Array.from(noGrad(() => m.eval().forward(x)).f32);
    expect(out(copy)).toEqual(out(model));
    expect(calls).toBe(1); // the copy's forward did not call the original's hook
    remove();
    // Changing the copy changes nothing in the original.
    const before = modelState(model);
    for (const p of copy.parameters()) p.f32.fill(0.5);
    copy.train();
    expect(modelState(model)).toEqual(before);
  });

  it('gives the copy its own random generators: dropout in the copy leaves the original stream alone', () => {
    const a = createModel('transformer_classifier', { imageSize: 4, dim: 4, heads: 2, layers: 1, dropout: 0.5, rng: new Rng(3) });
    const b = createModel('transformer_classifier', { imageSize: 4, dim: 4, heads: 2, layers: 1, dropout: 0.5, rng: new Rng(3) });
    const x = randn([2, 1, 4, 4], { rng: new Rng(4) });
    const copy = cloneModule(a);
    noGrad(() => copy.forward(x)); // training mode: draws dropout masks from the copy's generator
    expect(Array.from(noGrad(() => a.forward(x)).f32)).toEqual(Array.from(noGrad(() => b.forward(x)).f32));
  });
});
