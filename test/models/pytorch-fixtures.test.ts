import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { createModel } from '../../src/models/registry.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import { intTensor, Tensor } from '../../src/tensor/tensor.js';
import { maxRelativeError } from '../helpers/backends.js';

/**
 * Whole models against PyTorch/torchvision (fixtures from scripts/fixtures/make_model_fixtures.py).
 * Weights and inputs follow the rule of docs/fixture-weights.md, rebuilt here from each
 * state-dict entry's name and shape, so no weight file is needed.
 */
interface ModelFixture {
  model: string;
  parameterCount: number;
  stateDict: [string, number[]][];
  weightChecks: Record<string, { first: number[]; sum: number }>;
  input: { shape: number[] };
  eval: { logits: { shape: number[]; data: number[] } };
  train?: {
    labels: number[];
    logits: { shape: number[]; data: number[] };
    loss: number;
    grads: Record<string, { shape: number[]; data: number[] }>;
  };
}

const root = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const load = (name: string): ModelFixture => JSON.parse(readFileSync(`${root}${name}.json`, 'utf8')) as ModelFixture;

/** phase = ((Σ charCode(name[k])·(k+1)) mod 997) / 97 */
function phaseOf(name: string): number {
  let total = 0;
  for (let k = 0; k < name.length; k++) total += name.charCodeAt(k) * (k + 1);
  return (total % 997) / 97;
}

/** The value of flat element i of entry `name` with `shape`, per the table of the weight rule. */
function ruleValues(name: string, shape: readonly number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const phase = phaseOf(name);
  const last = name.slice(name.lastIndexOf('.') + 1);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < size; i++) {
    const s = Math.sin(0.731 * i + phase);
    if (last === 'weight' && shape.length >= 2) out[i] = s * Math.sqrt(3 / fanIn);
    else if (last === 'weight') out[i] = 1 + 0.1 * s;
    else if (last === 'bias' || last === 'running_mean') out[i] = 0.1 * s;
    else if (last === 'running_var') out[i] = 1 + 0.5 * s * s;
    else if (last === 'num_batches_tracked') out[i] = 0;
    else throw new Error(`weight rule: no value for entry '${name}'`);
  }
  return out;
}

function ruleInput(shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(0.37 * i)), shape);
}

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
