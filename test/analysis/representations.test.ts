import { describe, expect, it } from 'vitest';
import { blockOutputs, ckaMatrix, linearCka, residualRatios, snapshotWeights, weightDrift } from '../../src/analysis/representations.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

function randomMatrix(rows: number, cols: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** A random orthogonal matrix (Gram–Schmidt on Gaussian columns). */
function orthogonal(d: number, rng: Rng): Float64Array {
  const q = randomMatrix(d, d, rng);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[i * d + j]! * q[i * d + k]!;
      for (let i = 0; i < d; i++) q[i * d + j]! -= dot * q[i * d + k]!;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += q[i * d + j]! ** 2;
    for (let i = 0; i < d; i++) q[i * d + j]! /= Math.sqrt(norm);
  }
  return q;
}

function multiply(a: Float64Array, b: Float64Array, n: number, d: number, scale = 1): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += a[i * d + k]! * b[k * d + j]!;
    out[i * d + j] = scale * s;
  }
  return out;
}

describe('linearCka', () => {
  const rng = new Rng(3);
  const n = 20;
  const x = randomMatrix(n, 6, rng);
  const y = randomMatrix(n, 6, rng);

  it('is 1 for a representation with itself', () => {
    expect(linearCka(x, x, n)).toBeCloseTo(1, 12);
  });

  it('is invariant to orthogonal transforms and isotropic scaling (Kornblith et al. 2019 §3)', () => {
    const base = linearCka(x, y, n);
    expect(base).toBeLessThan(0.9);
    const q = orthogonal(6, rng);
    expect(linearCka(multiply(x, q, n, 6, 3.5), y, n)).toBeCloseTo(base, 10);
    expect(linearCka(x, multiply(y, orthogonal(6, rng), n, 6, 0.01), n)).toBeCloseTo(base, 10);
  });

  it('builds a symmetric matrix with a unit diagonal', () => {
    const m = ckaMatrix([{ features: Float32Array.from(x) }, { features: Float32Array.from(y) }], n);
    expect(m[0]![0]).toBe(1);
    expect(m[0]![1]).toBeCloseTo(m[1]![0]!, 12);
    expect(m[0]![1]).toBeCloseTo(linearCka(Float32Array.from(x), Float32Array.from(y), n), 6);
  });
});

describe('residualRatios and blockOutputs', () => {
  const x = randn([3, 1, 8, 8], { rng: new Rng(4) });

  it('gives ‖F(x)‖/‖x‖ = 0 and no change for zero-initialised branches', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, baseWidth: 4, zeroInitResidual: true, rng: new Rng(1) });
    const ratios = residualRatios(model, x);
    expect(ratios.map((r) => r.block)).toEqual(['layer1.0', 'layer2.0', 'layer3.0']);
    for (const r of ratios) expect(r.branchRatio).toBe(0);
    expect(ratios[0]!.changeRatio).toBe(0); // identity block, input already post-ReLU
    expect(ratios[1]!.changeRatio).toBeNull(); // downsampling block changes the shape
  });

  it('captures one output per block with N rows', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, baseWidth: 4, rng: new Rng(1) });
    const outs = blockOutputs(model, x);
    expect(outs.map((o) => o.width)).toEqual([4 * 64, 8 * 16, 16 * 4]);
    for (const o of outs) expect(o.features.length).toBe(3 * o.width);
  });
});

describe('weightDrift', () => {
  it('measures ‖W_t − W_0‖/‖W_0‖ per weighted layer', () => {
    const model = resnetCifar({ depth: 8, inChannels: 1, baseWidth: 4, rng: new Rng(1) });
    const initial = snapshotWeights(model);
    expect(weightDrift(initial, model).every((d) => d.drift === 0)).toBe(true);
    const w = model.conv1.weight.f32;
    for (let i = 0; i < w.length; i++) w[i]! *= 1.5; // W_t = 1.5 W_0: drift exactly 0.5
    const drift = weightDrift(initial, model);
    expect(drift[0]!.layer).toBe('conv1.weight');
    expect(drift[0]!.drift).toBeCloseTo(0.5, 6);
    expect(drift[1]!.drift).toBe(0);
  });
});
