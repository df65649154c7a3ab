import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { createModel } from '../../src/models/registry.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import { intTensor, Tensor } from '../../src/tensor/tensor.js';
import { maxRelativeError } from '../helpers/backends.js';
import { loadModelFixture as load, ruleInput, ruleValues, type ModelFixture } from '../helpers/fixture-weights.js';

/**
 * Whole models against PyTorch/torchvision (fixtures from scripts/fixtures/make_model_fixtures.py).
 * Weights and inputs follow the rule of docs/fixture-weights.md, rebuilt here from each
 * state-dict entry's name and shape, so no weight file is needed.
 */
/** Build `name` from the registry and fill it by the rule, checking names and shapes first. */
function buildFromFixture(fixture: ModelFixture): SkipModel {
  const model = createModel(fixture.model);
  const ours = Object.entries(model.stateDict()).map(([n, t]) => [n, [...t.shape]]);
  expect(ours).toEqual(fixture.stateDict); // identical names, shapes and order (torchvision's)
  expect(model.parameterCount()).toBe(fixture.parameterCount);
  const state: Record<string, Tensor> = {};
  for (const [name, shape] of fixture.stateDict) {
    const values = ruleValues(name, shape);
    state[name] = name.endsWith('num_batches_tracked') ? new Tensor(Int32Array.from(values), shape) : new Tensor(values, shape);
  }
  model.loadStateDict(state, { source: `${fixture.model} fixture rule` });
  for (const [name, check] of Object.entries(fixture.weightChecks)) {
    const values = state[name]!.data;
    expect(Array.from(values.slice(0, 5))).toEqual(check.first.map(Math.fround));
    expect(Array.from(values).reduce((a, b) => a + b, 0)).toBeCloseTo(check.sum, 6);
  }
  return model;
}

describe('whole models against PyTorch (eval mode)', () => {
  for (const name of ['resnet20', 'resnet18', 'resnet50', 'densenet121']) {
    it(`${name}: same state-dict names and shapes, logits within 1e-4 relative`, () => {
      const fixture = load(name);
      const model = buildFromFixture(fixture).eval();
      const logits = noGrad(() => model.forward(ruleInput(fixture.input.shape)));
      expect([...logits.shape]).toEqual(fixture.eval.logits.shape);
      expect(maxRelativeError(logits.f32, fixture.eval.logits.data)).toBeLessThan(1e-4);
    });
  }
});

describe('ResNet-20 training step against PyTorch (batch statistics)', () => {
  it('logits, loss and gradients within 1e-4 relative', () => {
    const fixture = load('resnet20');
    const train = fixture.train!;
    const model = buildFromFixture(fixture).train();
    const logits = model.forward(ruleInput(fixture.input.shape));
    expect(maxRelativeError(logits.f32, train.logits.data)).toBeLessThan(1e-4);
    const loss = crossEntropy(logits, intTensor(train.labels));
    expect(maxRelativeError([loss.item()], [train.loss])).toBeLessThan(1e-4);
    loss.backward();
    const parameters = Object.fromEntries(model.namedParameters());
    for (const [name, expected] of Object.entries(train.grads)) {
      const grad = parameters[name]!.grad!;
      expect([...grad.shape]).toEqual(expected.shape);
      // Gradients are small numbers: compare relative to the largest expected magnitude.
      const scale = Math.max(...expected.data.map(Math.abs));
      const scaled = (v: ArrayLike<number>): number[] => Array.from(v, (x) => x / scale);
      expect(maxRelativeError(scaled(grad.f32), scaled(expected.data)), name).toBeLessThan(1e-4);
    }
  });
});
