import { describe, expect, it } from 'vitest';
import { abs } from '../../src/autograd/functions/unary.js';
import { DenseBlock, Transition } from '../../src/blocks/dense.js';
import { ConvHighwayLayer, HighwayLayer } from '../../src/blocks/highway.js';
import { PreLNTransformerBlock } from '../../src/blocks/pre-ln-transformer.js';
import { evaluateJunction, JunctionError, withoutBranch, type SkipBlock } from '../../src/blocks/skip-block.js';
import { DoubleConv, UNetLevel } from '../../src/blocks/unet-level.js';
import { BatchNorm2d } from '../../src/nn/layers/batch-norm.js';
import type { Module } from '../../src/nn/module.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, type Tensor } from '../../src/tensor/tensor.js';
import { kinkAwareGradcheck } from '../helpers/kink-aware-gradcheck.js';

/** Non-trivial BN statistics so eval mode is a real affine map. */
function randomizeBatchNorms(module: Module, rng: Rng): void {
  for (const m of module.modules()) {
    if (!(m instanceof BatchNorm2d)) continue;
    for (let c = 0; c < m.numFeatures; c++) {
      m.weight!.f32[c] = 0.5 + rng.uniform();
      m.bias!.f32[c] = 0.3 * rng.normal();
      m.running_mean!.f32[c] = 0.2 * rng.normal();
      m.running_var!.f32[c] = 0.5 + rng.uniform();
    }
  }
}

function expectGradcheck(module: Module, x: Tensor): void {
  module.eval();
  const result = kinkAwareGradcheck((input) => module.forward(input), [x, ...module.parameters()]);
  expect(result.ok, result.message).toBe(true);
}

function parameterNames(m: Module): string[] {
  return m.namedParameters().map(([n]) => n);
}

describe('dense block (Huang et al. 2017)', () => {
  for (const skip of ['concat', 'none'] as const) {
    it(`passes gradcheck, skip ${skip}`, () => {
      const rng = new Rng(21);
      const block = new DenseBlock(3, 3, 2, { skip, bottleneckWidth: 4, rng });
      randomizeBatchNorms(block, rng);
      expectGradcheck(block, randn([2, 3, 3, 3], { rng, requiresGrad: true }));
    });
  }

  it('concatenates every earlier feature map: output = [x, x1, x2, x3]', () => {
    const rng = new Rng(1);
    const block = new DenseBlock(2, 3, 4, { rng }).eval();
    const x = randn([1, 2, 3, 3], { rng });
    const y = block.forward(x);
    expect(y.shape).toEqual([1, 2 + 3 * 4, 3, 3]);
    expect(Array.from(y.f32.slice(0, 18))).toEqual(Array.from(x.f32)); // x_0 passes through unchanged
    expect(block.layers.map((l) => l.inChannels)).toEqual([2, 6, 10]);
    expect(parameterNames(block)[0]).toBe('denselayer1.norm1.weight');
    expect(block.inputSources(3)).toEqual([{ source: 0, start: 0, end: 2 }, { source: 1, start: 2, end: 6 }, { source: 2, start: 6, end: 10 }]);
  });

  it('the plain twin chains the same layers: same names and output widths, inputs from the predecessor only', () => {
    const dense = new DenseBlock(2, 3, 4, { rng: new Rng(1) });
    const plain = new DenseBlock(2, 3, 4, { skip: 'none', rng: new Rng(1) });
    expect(parameterNames(plain)).toEqual(parameterNames(dense));
    expect(plain.layers.map((l) => l.inChannels)).toEqual([2, 4, 4]);
    expect(plain.forward(randn([1, 2, 3, 3])).shape).toEqual([1, 4, 3, 3]);
    const denseShapes = dense.namedParameters().map(([, p]) => p.shape);
    plain.namedParameters().forEach(([name, p], i) => {
      if (name.includes('conv')) expect(p.shape[0], name).toBe(denseShapes[i]![0]); // same output width everywhere
    });
  });

  it('lists its concatenative skips: every source to every non-adjacent consumer', () => {
    const edges = new DenseBlock(2, 3, 4).skipEdges('features.denseblock1', 'features.conv0');
    // consumers 2, 3 and the output (4) take sources j < consumer − 1: 1 + 2 + 3 edges
    expect(edges).toHaveLength(6);
    expect(edges[0]).toEqual({ from: 'features.conv0', to: 'features.denseblock1.denselayer2', kind: 'concat', block: 'features.denseblock1' });
    expect(edges.at(-1)!.to).toBe('features.denseblock1');
  });

  it('transition compresses and halves the resolution', () => {
    expect(new Transition(8, 4).forward(randn([2, 8, 5, 6])).shape).toEqual([2, 4, 2, 3]);
  });
});

describe('highway layers (Srivastava et al. 2015)', () => {
  for (const skip of ['gated', 'none'] as const) {
    it(`fully connected passes gradcheck, skip ${skip}`, () => {
      const rng = new Rng(31);
      expectGradcheck(new HighwayLayer(5, { skip, rng }), randn([3, 5], { rng, requiresGrad: true }));
    });
    it(`convolutional passes gradcheck, skip ${skip}`, () => {
      const rng = new Rng(32);
      expectGradcheck(new ConvHighwayLayer(2, { skip, rng }), randn([2, 2, 4, 4], { rng, requiresGrad: true }));
    });
  }

  it('computes H·T + x·(1 − T), with the gate bias at −2 by default', () => {
    const rng = new Rng(4);
    const layer = new HighwayLayer(3, { rng });
    expect(Array.from(layer.gate!.bias!.f32)).toEqual([-2, -2, -2]);
    const x = randn([2, 3], { rng });
    const y = layer.forward(x);
    const h = new HighwayLayer(3, { skip: 'none', rng: new Rng(4) }).forward(x); // same transform weights
    const t = layer.gateValues(x);
    for (let i = 0; i < y.size; i++) expect(y.f32[i]).toBeCloseTo(h.f32[i]! * t.f32[i]! + x.f32[i]! * (1 - t.f32[i]!), 5);
    expect(new HighwayLayer(3, { gateBias: -1 }).gate!.bias!.f32[0]).toBe(-1);
  });

  it('the plain twin has the same parameters minus the gate', () => {
    const gated = parameterNames(new ConvHighwayLayer(2));
    expect(parameterNames(new ConvHighwayLayer(2, { skip: 'none' }))).toEqual(gated.filter((n) => !n.startsWith('gate.')));
  });
});

describe('U-Net level (Ronneberger et al. 2015)', () => {
  for (const skip of ['concat', 'none'] as const) {
    it(`passes gradcheck, skip ${skip}, odd input`, () => {
      const rng = new Rng(41);
      const level = new UNetLevel(1, 2, new DoubleConv(2, 2, { rng }), 2, { skip, rng });
      randomizeBatchNorms(level, rng);
      expectGradcheck(level, randn([1, 1, 5, 4], { rng, requiresGrad: true }));
    });
  }

  it('handles odd sizes by padding (output keeps the size) or centre-cropping', () => {
    for (const [oddSizes, expected] of [['pad', [2, 3, 7, 9]], ['crop', [2, 3, 6, 8]]] as const) {
      const level = new UNetLevel(1, 3, new DoubleConv(3, 6), 6, { oddSizes });
      expect(level.forward(randn([2, 1, 7, 9])).shape).toEqual(expected);
    }
    const tooSmall = new UNetLevel(1, 2, new UNetLevel(2, 4, new DoubleConv(4, 4), 4), 2);
    expect(() => tooSmall.eval().forward(randn([1, 1, 3, 3]))).toThrow(/1x1 map cannot be pooled/);
  });

  it('the plain twin drops the concatenation: the decoder input halves', () => {
    const level = new UNetLevel(1, 4, new DoubleConv(4, 8), 8);
    const plain = new UNetLevel(1, 4, new DoubleConv(4, 8), 8, { skip: 'none' });
    expect(level.decode.conv1.inChannels).toBe(8);
    expect(plain.decode.conv1.inChannels).toBe(4);
    expect(parameterNames(plain)).toEqual(parameterNames(level));
  });
});

describe('pre-LN transformer block', () => {
  for (const skip of ['identity', 'none'] as const) {
    it(`passes gradcheck, skip ${skip}`, () => {
      const rng = new Rng(51);
      expectGradcheck(new PreLNTransformerBlock(4, 2, { skip, mlpRatio: 2, rng }), randn([2, 3, 4], { rng, requiresGrad: true }));
    });
  }

  it('is x + Attn(LN(x)) then + MLP(LN(x)); the plain twin drops both additions', () => {
    const rng = new Rng(6);
    const block = new PreLNTransformerBlock(4, 2, { rng });
    const x = randn([1, 3, 4], { rng });
    const attended = block.attn.forward(block.norm1.forward(x));
    const mid = x.f32.map((v, i) => v + attended.f32[i]!);
    const midTensor = randn([1, 3, 4]);
    midTensor.f32.set(mid);
    const fed = block.mlp.forward(block.norm2.forward(midTensor));
    const y = block.forward(x);
    for (let i = 0; i < y.size; i++) expect(y.f32[i]).toBeCloseTo(mid[i]! + fed.f32[i]!, 5);
    const plain = new PreLNTransformerBlock(4, 2, { skip: 'none', rng: new Rng(6) });
    expect(parameterNames(plain)).toEqual(parameterNames(block));
    expect(parameterNames(block)).toContain('attn.in_proj_weight');
  });
});

describe('junctions of the non-residual skip blocks (the interface analysis uses)', () => {
  /** The junction kinds/merges a block goes through, and its output, evaluated the ordinary way. */
  function junctions(block: Module & SkipBlock, x: Tensor): { seen: string[]; y: Tensor } {
    const seen: string[] = [];
    const y = block.forwardJunctions(x, (j) => {
      seen.push(`${j.kind}/${j.merge}`);
      return evaluateJunction(j);
    });
    return { seen, y };
  }

  const rng = new Rng(33);
  const cases: [string, (skip: 'with' | 'none') => Module & SkipBlock, number[], string][] = [
    ['dense block', (s) => new DenseBlock(3, 3, 2, { skip: s === 'with' ? 'concat' : 'none', bottleneckWidth: 4, rng: new Rng(1) }), [2, 3, 4, 4], 'concat/concat,concat/concat,concat/concat'],
    ['highway layer', (s) => new HighwayLayer(5, { skip: s === 'with' ? 'gated' : 'none', rng: new Rng(2) }), [3, 5], 'gated/gated'],
    ['conv highway layer', (s) => new ConvHighwayLayer(2, { skip: s === 'with' ? 'gated' : 'none', rng: new Rng(3) }), [2, 2, 4, 4], 'gated/gated'],
    ['U-Net level (pad)', (s) => new UNetLevel(1, 2, new DoubleConv(2, 4, { rng: new Rng(4) }), 4, { skip: s === 'with' ? 'concat' : 'none', rng: new Rng(4) }), [1, 1, 5, 7], 'concat/concat'],
    ['U-Net level (crop)', (s) => new UNetLevel(1, 2, new DoubleConv(2, 4, { rng: new Rng(5) }), 4, { skip: s === 'with' ? 'concat' : 'none', oddSizes: 'crop', rng: new Rng(5) }), [1, 1, 5, 7], 'concat/concat'],
    ['pre-LN transformer block', (s) => new PreLNTransformerBlock(4, 2, { skip: s === 'with' ? 'identity' : 'none', rng: new Rng(6) }), [2, 3, 4], 'identity/add,identity/add'],
  ];

  for (const [name, make, shape, expected] of cases) {
    it(`${name}: its junctions reproduce forward, in both twins`, () => {
      for (const twin of ['with', 'none'] as const) {
        const block = make(twin);
        randomizeBatchNorms(block, rng);
        block.eval();
        const x = randn(shape, { rng });
        const { seen, y } = junctions(block, x);
        expect(seen.join(','), twin).toBe(twin === 'with' ? expected : expected.replace(/^[a-z]+|(?<=,)[a-z]+/g, 'none'));
        expect(Array.from(y.f32)).toEqual(Array.from(block.forward(x).f32));
      }
    });
  }

  it('a deleted dense block outputs [x, 0, ..., 0]; a deleted highway layer carries x (gate closed)', () => {
    const dense = new DenseBlock(3, 2, 2, { rng: new Rng(7) }).eval();
    const x = randn([1, 3, 2, 2], { rng });
    const lesioned = dense.forwardJunctions(x, withoutBranch);
    expect(lesioned.shape).toEqual([1, 7, 2, 2]);
    expect(Array.from(lesioned.f32.subarray(0, 12))).toEqual(Array.from(x.f32));
    expect(lesioned.f32.subarray(12).every((v) => v === 0)).toBe(true);
    const highway = new HighwayLayer(4, { rng: new Rng(8) });
    const h = randn([2, 4], { rng });
    expect(highway.forwardJunctions(h, withoutBranch)).toBe(h);
  });

  it('a plain dense block cannot be bypassed when its first layer changes the width', () => {
    const plain = new DenseBlock(3, 2, 2, { skip: 'none', rng: new Rng(9) }).eval();
    expect(() => plain.forwardJunctions(randn([1, 3, 2, 2], { rng }), withoutBranch)).toThrow(JunctionError);
  });

  it('makeIdentity: a highway layer closes its gate (y = x), a transformer block zeroes its sub-layers; blocks that change shape refuse', () => {
    const x = abs(randn([3, 4], { rng })); // the plain twin's H = relu(x) is the identity on x ≥ 0
    for (const skip of ['gated', 'none'] as const) {
      const layer = new HighwayLayer(4, { skip, rng: new Rng(10) });
      layer.makeIdentity();
      expect(Array.from(layer.forward(x).f32)).toEqual(Array.from(x.f32));
    }
    const block = new PreLNTransformerBlock(4, 2, { rng: new Rng(11) });
    block.makeIdentity();
    const tokens = randn([2, 3, 4], { rng });
    expect(Array.from(block.forward(tokens).f32)).toEqual(Array.from(tokens.f32));
    expect(() => new PreLNTransformerBlock(4, 2, { skip: 'none' }).makeIdentity()).toThrow(/plain twin normalises its input/);
    expect(() => new DenseBlock(3, 2, 2).makeIdentity()).toThrow(/changes the number of channels/);
    expect(() => new UNetLevel(1, 2, new DoubleConv(2, 4), 4).makeIdentity()).toThrow(/cannot be an identity/);
  });
});
