import { describe, expect, it } from 'vitest';
import { sum } from '../../src/autograd/functions/reduce.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { structureOnlyRng } from '../../src/models/catalog.js';
import { createModel, listModels } from '../../src/models/registry.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

/**
 * One test over the whole registry (STYLE.md habit 12): parameter count against the published
 * number, output shape, a gradient reaching the input, and the plain twin's parameters.
 * Big ImageNet models run forward on small inputs only, built with constant weights (random
 * initialisation of 60M parameters dominates the cost); the biggest skip backward and twins.
 */
interface Plan {
  input: number[];
  outputs: number;
  backward: boolean;
  twin: boolean;
  /** How the twin's parameter names relate to the model's. */
  twinNames: 'minus-projections' | 'minus-gates' | 'same';
}

const resnetImageNet: Omit<Plan, 'backward' | 'twin'> = { input: [2, 3, 32, 32], outputs: 1000, twinNames: 'minus-projections' };
const cifar: Plan = { input: [2, 3, 16, 16], outputs: 10, backward: true, twin: true, twinNames: 'minus-projections' };
const plans: Record<string, Plan> = {
  resnet20: cifar, resnet32: cifar, resnet44: cifar, resnet56: cifar, resnet110: { ...cifar, backward: false }, resnet_cifar: cifar,
  resnet18: { ...resnetImageNet, backward: true, twin: true },
  resnet34: { ...resnetImageNet, backward: false, twin: true },
  resnet50: { ...resnetImageNet, backward: true, twin: true },
  resnet101: { ...resnetImageNet, backward: false, twin: false },
  resnet152: { ...resnetImageNet, backward: false, twin: false },
  densenet121: { input: [2, 3, 32, 32], outputs: 1000, backward: true, twin: true, twinNames: 'same' },
  densenet169: { input: [2, 3, 32, 32], outputs: 1000, backward: false, twin: false, twinNames: 'same' },
  densenet_bc_40: { input: [2, 3, 16, 16], outputs: 10, backward: true, twin: true, twinNames: 'same' },
  densenet_bc_100: { input: [2, 3, 16, 16], outputs: 10, backward: false, twin: true, twinNames: 'same' },
  densenet_cifar: { input: [2, 3, 16, 16], outputs: 10, backward: true, twin: true, twinNames: 'same' },
  highway_fc: { input: [2, 1, 28, 28], outputs: 10, backward: true, twin: true, twinNames: 'minus-gates' },
  highway_conv: { input: [2, 1, 12, 12], outputs: 10, backward: true, twin: true, twinNames: 'minus-gates' },
  unet: { input: [2, 1, 17, 20], outputs: 2 * 17 * 20, backward: true, twin: true, twinNames: 'same' },
  transformer_classifier: { input: [2, 1, 28, 28], outputs: 10, backward: true, twin: true, twinNames: 'same' },
  // Baselines without skips (no twin to build).
  mlp: { input: [2, 1, 28, 28], outputs: 10, backward: true, twin: false, twinNames: 'same' },
  simple_convnet: { input: [2, 1, 28, 28], outputs: 10, backward: true, twin: false, twinNames: 'same' },
};

describe('model registry', () => {
  it('has a test plan for every registered model (a new model must be added here)', () => {
    expect(listModels().map((m) => m.name).sort()).toEqual(Object.keys(plans).sort());
  });

  for (const info of listModels()) {
    const plan = plans[info.name];
    it(`${info.name}: parameters, output shape, gradient to the input, plain twin`, () => {
      if (!plan) throw new Error(`no test plan for ${info.name}`);
      const rng = (): Rng => (plan.backward ? new Rng(0) : structureOnlyRng());
      const model = createModel(info.name, { rng: rng() });
      const count = model.parameterCount();
      if (info.published) expect(Math.abs(count - info.published.parameters), `${count} vs ${info.published.source}`).toBeLessThanOrEqual(info.published.tolerance);

      const edges = model.skips();
      expect(edges.length > 0).toBe(info.skipKinds.length > 0);
      for (const e of edges) expect(info.skipKinds).toContain(e.kind);
      const paths = new Set([...model.namedModules()].map(([n]) => n));
      for (const e of edges) expect(paths.has(e.block), `skip block ${e.block}`).toBe(true);

      const x = randn(plan.input, { rng: new Rng(1), requiresGrad: plan.backward });
      if (plan.backward) {
        const y = model.forward(x);
        expect(y.size / plan.input[0]!).toBe(plan.outputs);
        sum(y).backward();
        expect(x.grad, 'gradient reaches the input').not.toBeNull();
        expect(x.grad!.f32.some((v) => v !== 0)).toBe(true);
        expect(x.grad!.f32.every(Number.isFinite)).toBe(true);
      } else {
        const y = noGrad(() => model.eval().forward(x));
        expect(y.size / plan.input[0]!).toBe(plan.outputs);
        expect(y.f32.every(Number.isFinite)).toBe(true);
      }

      if (!plan.twin) return;
      const twin = createModel(info.name, { rng: rng(), skip: 'none' });
      expect(twin.skips().map((e) => e.kind).every((k) => k === 'none')).toBe(true);
      expect(twin.skips().length).toBe(edges.length); // the twin lines up edge by edge
      const names = model.namedParameters().map(([n]) => n);
      const twinNames = twin.namedParameters().map(([n]) => n);
      if (plan.twinNames === 'minus-projections') expect(twinNames).toEqual(names.filter((n) => !/\.downsample\./.test(n)));
      else if (plan.twinNames === 'minus-gates') expect(twinNames).toEqual(names.filter((n) => !/\.gate\./.test(n)));
      else expect(twinNames).toEqual(names);
      expect(twin.parameterCount()).toBeLessThanOrEqual(count);
      const y = noGrad(() => twin.eval().forward(randn(plan.input, { rng: new Rng(1) })));
      expect(y.size / plan.input[0]!).toBe(plan.outputs);
    });
  }

  it('summary() lists the skips of a model', () => {
    const notes = createModel('highway_fc', { depth: 3, rng: new Rng(0) }).summary([1, 784]).notes;
    expect(notes).toEqual(['skips: 2 (2 gated)', '  skip input -> layers.0 (gated)', '  skip layers.0 -> layers.1 (gated)']);
  });
});
