import { describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { BasicBlock, PreActBlock } from '../../src/blocks/residual.js';
import { createModel, listModels } from '../../src/models/registry.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';

/**
 * Parameter count of a CIFAR ResNet worked out from §4.2 by hand: a 3x3 conv stem (no bias) + BN,
 * 3 stages of n basic blocks (two 3x3 convs + two BNs each), projections for option B where
 * the shape changes (1x1 conv + BN), and the final fc layer.
 */
function expectedParameters(depth: number, option: 'A' | 'B', inChannels = 3, classes = 10): number {
  const n = (depth - 2) / 6;
  const widths = [16, 32, 64];
  let total = 9 * inChannels * 16 + 2 * 16;
  let c = 16;
  for (const w of widths) {
    for (let i = 0; i < n; i++) {
      total += 9 * c * w + 9 * w * w + 4 * w;
      const changes = c !== w;
      if (option === 'B' && changes) total += c * w + 2 * w;
      c = w;
    }
  }
  return total + 64 * classes + classes;
}

describe('CIFAR ResNets (He et al. 2015 §4.2)', () => {
  it('have the parameter counts of Table 6 and the exact counts of the architecture', () => {
    const published: Record<number, number> = { 20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6 };
    for (const [depth, paper] of Object.entries(published).map(([d, p]) => [Number(d), p] as const)) {
      const model = resnetCifar({ depth, rng: new Rng(0) });
      const count = model.parameterCount();
      expect(count).toBe(expectedParameters(depth, 'A'));
      const digits = depth === 110 ? 0.05e6 : 0.005e6; // the paper rounds to 0.01M (0.1M for 110)
      expect(Math.abs(count - paper)).toBeLessThanOrEqual(digits);
    }
    expect(resnetCifar({ depth: 20, skip: 'projection', rng: new Rng(0) }).parameterCount()).toBe(expectedParameters(20, 'B'));
    expect(resnetCifar({ depth: 20, skip: 'zero-pad', rng: new Rng(0) }).parameterCount()).toBe(expectedParameters(20, 'A'));
  });

  it('the plain twin has exactly the same parameters minus the projections', () => {
    for (const skip of ['identity', 'projection'] as const) {
      const residual = resnetCifar({ depth: 20, skip, rng: new Rng(4) });
      const plain = resnetCifar({ depth: 20, skip: 'none', rng: new Rng(4) });
      const plainNames = plain.namedParameters().map(([n]) => n);
      const residualNames = residual.namedParameters().map(([n]) => n);
      expect(residualNames.filter((n) => !n.includes('downsample'))).toEqual(plainNames);
      for (const [name, p] of plain.namedParameters()) {
        const twin = residual.namedParameters().find(([n]) => n === name)![1];
        expect(twin.shape).toEqual(p.shape);
      }
      expect(plain.parameterCount()).toBe(expectedParameters(20, 'A'));
    }
  });

  it('gives (N, classes) for CIFAR 32x32 and Fashion-MNIST 1x28x28, depth 8 included', () => {
    const rng = new Rng(1);
    expect(resnetCifar({ depth: 8, rng }).forward(randn([2, 3, 32, 32], { rng })).shape).toEqual([2, 10]);
    const fashion = resnetCifar({ depth: 20, inChannels: 1, rng });
    const shapes: number[][] = [];
    for (const stage of [fashion.layer1, fashion.layer2, fashion.layer3]) stage.registerForwardHook((_m, _x, y) => void shapes.push([...y.shape]));
    expect(fashion.forward(randn([2, 1, 28, 28], { rng })).shape).toEqual([2, 10]);
    expect(shapes).toEqual([[2, 16, 28, 28], [2, 32, 14, 14], [2, 64, 7, 7]]);
    const odd = resnetCifar({ depth: 8, skip: 'none', numClasses: 3, baseWidth: 4, rng });
    expect(odd.forward(randn([1, 3, 9, 7], { rng })).shape).toEqual([1, 3]);
  });

  it('passes a gradient back to the input and to every parameter, with and without skips', () => {
    for (const skip of ['identity', 'none'] as const) {
      const rng = new Rng(2);
      const model = resnetCifar({ depth: 8, skip, baseWidth: 4, inChannels: 1, rng });
      const x = randn([2, 1, 12, 12], { rng, requiresGrad: true });
      crossEntropy(model.forward(x), intTensor([1, 7])).backward();
      expect(x.grad!.f32.some((v) => v !== 0)).toBe(true);
      for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
    }
  });

  it('lists its skip edges: 3n blocks, zero-pad where the shape changes, none in the plain twin', () => {
    const edges = resnetCifar({ depth: 20, rng: new Rng(0) }).skips();
    expect(edges).toHaveLength(9);
    expect(edges.filter((e) => e.kind === 'zero-pad').map((e) => e.to)).toEqual(['layer2.0', 'layer3.0']);
    expect(edges[0]).toEqual({ from: 'bn1', to: 'layer1.0', kind: 'identity', block: 'layer1.0' });
    expect(edges[4]!.from).toBe('layer2.0');
    const projection = resnetCifar({ depth: 20, skip: 'projection', rng: new Rng(0) }).skips();
    expect(projection.filter((e) => e.kind === 'projection').map((e) => e.to)).toEqual(['layer2.0', 'layer3.0']);
    expect(projection.filter((e) => e.kind === 'identity')).toHaveLength(7);
    const plain = resnetCifar({ depth: 20, skip: 'none', rng: new Rng(0) });
    expect(plain.skips().every((e) => e.kind === 'none')).toBe(true);
    expect(plain.summary([1, 3, 32, 32]).notes[0]).toMatch(/plain twin/);
    const notes = resnetCifar({ depth: 8, rng: new Rng(0) }).summary([1, 3, 32, 32]).notes;
    expect(notes).toContain('  skip layer1.0 -> layer2.0 (zero-pad)');
  });

  it('initialises like torchvision: BN γ = 1, β = 0, conv weights kaiming-normal fan_out', () => {
    const model = resnetCifar({ depth: 56, rng: new Rng(9) });
    const w = model.layer3.at(1) as BasicBlock;
    const data = w.conv1.weight.f32;
    const variance = data.reduce((s, v) => s + v * v, 0) / data.length;
    expect(variance).toBeGreaterThan(0.8 * (2 / (64 * 9)));
    expect(variance).toBeLessThan(1.2 * (2 / (64 * 9)));
    expect(Array.from(w.bn1.weight!.f32).every((v) => v === 1)).toBe(true);
    const zeroInit = resnetCifar({ depth: 8, zeroInitResidual: true, rng: new Rng(9) });
    expect(Array.from((zeroInit.layer1.at(0) as BasicBlock).bn2.weight!.f32).every((v) => v === 0)).toBe(true);
  });

  it('builds the pre-activation variant with a final BN', () => {
    const model = resnetCifar({ depth: 8, block: 'preact', rng: new Rng(3) });
    expect(model.layer2.at(0)).toBeInstanceOf(PreActBlock);
    expect(model.bn1).toBeNull();
    expect(Object.keys(model.stateDict())).toContain('bn.running_var');
    expect(model.forward(randn([1, 3, 8, 8])).shape).toEqual([1, 10]);
  });

  it('same seed, same weights; decaying stochastic-depth survival', () => {
    const a = resnetCifar({ depth: 8, rng: new Rng(5) }).stateDict();
    const b = resnetCifar({ depth: 8, rng: new Rng(5) }).stateDict();
    for (const k of Object.keys(a)) expect(Array.from(a[k]!.data)).toEqual(Array.from(b[k]!.data));
    const deep = resnetCifar({ depth: 20, survivalProbability: 0.5, rng: new Rng(5) });
    const p = deep.blocks().map(([, blk]) => blk.survivalProbability);
    expect(p[0]).toBeCloseTo(1 - 0.5 / 9);
    expect(p[8]).toBeCloseTo(0.5);
  });

  it('rejects a depth that is not 6n + 2 and unknown options by name', () => {
    expect(() => resnetCifar({ depth: 21 })).toThrow(/depth 21 is not 6n \+ 2/);
    expect(() => createModel('resnet20', { growthRate: 12 })).toThrow(/option 'growthRate' is not accepted/);
    expect(() => createModel('resnet21')).toThrow(/unknown model 'resnet21'/);
    expect(() => createModel('resnet20', { skip: 'concat' })).toThrow(/createModel\('resnet20'\): skip 'concat' is not one of 'identity', 'zero-pad', 'projection', 'none'/);
  });
});

describe('registry: CIFAR ResNets', () => {
  it('builds resnet20..110 and resnet_cifar by name, plain twins with skip none', () => {
    const names = listModels().map((m) => m.name);
    for (const n of ['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'resnet_cifar']) expect(names).toContain(n);
    expect(createModel('resnet32', { rng: new Rng(0) }).parameterCount()).toBe(expectedParameters(32, 'A'));
    expect(createModel('resnet_cifar', { depth: 14, rng: new Rng(0) }).parameterCount()).toBe(expectedParameters(14, 'A'));
    const plain = createModel('resnet20', { skip: 'none', inChannels: 1, rng: new Rng(0) });
    expect(plain.parameterCount()).toBe(expectedParameters(20, 'A', 1));
    expect(plain.skips().every((e) => e.kind === 'none')).toBe(true);
  });
});
