import { describe, expect, it } from 'vitest';
import { featureReuse, featureReuseChange, highwayGateActivity, nonPredecessorShare, type DenseBlockReuse } from '../../src/analysis/feature-reuse.js';
import { Conv2d } from '../../src/nn/layers/conv2d.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { linearProbe } from '../../src/analysis/probe.js';
import { DenseNet } from '../../src/models/densenet.js';
import { createModel } from '../../src/models/registry.js';
import { HighwayNetFC } from '../../src/models/highway-net.js';
import { UNet } from '../../src/models/unet.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn } from '../../src/tensor/tensor.js';

describe('featureReuse (Huang et al. 2017 Fig. 5)', () => {
  it('averages |w| over the input channels that came from each source layer', () => {
    // Block 1: input 4 channels (k = 2), 3 layers; its consumer is transition1's conv (10 -> 5).
    const model = new DenseNet({ growthRate: 2, blockConfig: [3, 2], initFeatures: 4, stem: 'cifar', bnSize: 0, inChannels: 1, numClasses: 3, rng: new Rng(1) });
    const [path, block] = model.blocks()[0]!;
    // Layer 3 sees [x0 (4 ch), x1 (2 ch), x2 (2 ch)]: give each source a known constant weight.
    const w = block.layers[2]!.conv1.weight; // (2, 8, 3, 3)
    for (let o = 0; o < 2; o++) for (let i = 0; i < 8; i++) for (let t = 0; t < 9; t++) w.f32[(o * 8 + i) * 9 + t] = i < 4 ? 0.5 : i < 6 ? -0.25 : 2;
    const reuse = featureReuse(model, randn([2, 1, 8, 8], { rng: new Rng(3) }));
    expect(reuse.map((r) => r.block)).toEqual([path, 'features.denseblock2']);
    const first = reuse[0]!;
    expect(first.weights).toHaveLength(4); // 3 layers + the transition
    expect(first.weights[2]!.slice(0, 3)).toEqual([0.5, 0.25, 2]);
    expect(first.weights[2]![3]).toBeNaN(); // layer 3 cannot see its own output
    expect(first.normalized[2]).toEqual([0.25, 0.125, 1, NaN]);
    expect(first.weights[3]!.every((v) => v > 0)).toBe(true); // the transition sees all sources
    // The last block's consumer is the classifier.
    expect(reuse[1]!.weights).toHaveLength(3);
    expect(reuse[1]!.weights[2]).toHaveLength(3);
  });

  it('reads the plain twin as a chain: each layer sees only its predecessor', () => {
    const model = new DenseNet({ growthRate: 2, blockConfig: [3], initFeatures: 4, stem: 'cifar', bnSize: 0, skip: 'none', inChannels: 1, numClasses: 3, rng: new Rng(1) });
    const [first] = featureReuse(model, randn([1, 1, 6, 6], { rng: new Rng(2) }));
    const connected = first!.weights.map((row) => row.map((v) => !Number.isNaN(v)));
    expect(connected).toEqual([
      [true, false, false, false],
      [false, true, false, false],
      [false, false, true, false],
      [false, false, false, true], // the classifier reads the last layer's maps
    ]);
  });

  it('reads the DenseNet of Fig. 5 (no bottleneck, θ = 1): each layer one 3x3 conv over every earlier source, the transition over all', () => {
    // Stem 16, blocks of 3 layers with k = 4: block 1 grows 16 -> 28 and its transition keeps 28.
    const model = createModel('densenet_cifar', { depth: 13, growthRate: 4, bottleneck: false, compression: 1, initFeatures: 16, inChannels: 1, rng: new Rng(1) }) as DenseNet;
    const reuse = featureReuse(model, randn([1, 1, 8, 8], { rng: new Rng(2) }));
    expect(reuse.map((r) => r.block)).toEqual(['features.denseblock1', 'features.denseblock2', 'features.denseblock3']);
    for (const block of reuse) {
      // Row t (layer t + 1, or the consumer for t = 3) reads sources 0..t and none after.
      expect(block.weights.map((row) => row.map((v) => !Number.isNaN(v)))).toEqual([0, 1, 2, 3].map((t) => [0, 1, 2, 3].map((source) => source <= t)));
    }
    // Layer 3 of block 1 reads [x0 (16 ch), x1 (4), x2 (4)] through its only conv, (4, 24, 3, 3).
    const [, block] = model.blocks()[0]!;
    const w = block.layers[2]!.conv1.weight;
    expect(w.shape).toEqual([4, 24, 3, 3]);
    const mean = (from: number, to: number) => {
      let s = 0;
      for (let o = 0; o < 4; o++) for (let i = from; i < to; i++) for (let t = 0; t < 9; t++) s += Math.abs(w.f32[(o * 24 + i) * 9 + t]!);
      return s / (4 * (to - from) * 9);
    };
    expect(reuse[0]!.weights[2]!.slice(0, 3).map((v) => +v.toPrecision(6))).toEqual([mean(0, 16), mean(16, 20), mean(20, 24)].map((v) => +v.toPrecision(6)));
  });

  it('leaves out blocks whose junctions do not concatenate into their output (a U-Net level decodes)', () => {
    const unet = new UNet({ levels: 1, baseWidth: 2, inChannels: 1, numClasses: 2, rng: new Rng(1) });
    expect(featureReuse(unet, randn([1, 1, 8, 8], { rng: new Rng(2) }))).toEqual([]);
  });
});

describe('feature reuse against initialisation', () => {
  const block = (weights: number[][]): DenseBlockReuse => ({ block: 'b', weights, normalized: weights });

  it('averages the share of weight mass off the direct predecessor over targets with 2+ sources', () => {
    // Row 0 has one source (skipped); row 1: 1 of 4 off the predecessor (source 1); row 2: 4 of 8.
    expect(nonPredecessorShare([block([[1, NaN, NaN], [1, 3, NaN], [2, 2, 4]])])).toBeCloseTo(0.375, 12);
    expect(nonPredecessorShare([block([[1, NaN]])])).toBeNaN();
  });

  it('reads (k − 1)/k for a layer with k sources when every weight has the same size, as i.i.d. init does on average', () => {
    const model = new DenseNet({ growthRate: 2, blockConfig: [3, 2], initFeatures: 4, stem: 'cifar', bnSize: 0, inChannels: 1, numClasses: 3, rng: new Rng(1) });
    for (const m of model.modules()) if (m instanceof Conv2d || m instanceof Linear) m.weight.f32.fill(0.1);
    // Block 1: layers with 2 and 3 sources and the transition with 4; block 2: a layer with 2, the classifier with 3.
    expect(nonPredecessorShare(featureReuse(model, randn([2, 1, 8, 8], { rng: new Rng(3) })))).toBeCloseTo((1 / 2 + 2 / 3 + 3 / 4 + 1 / 2 + 2 / 3) / 5, 6);
  });

  it('states the change from initialisation and each connection\'s growth', () => {
    const change = featureReuseChange([block([[1, NaN], [1, 1]])], [block([[2, NaN], [1, 3]])]);
    expect(change.initial).toBeCloseTo(0.5, 12);
    expect(change.trained).toBeCloseTo(0.25, 12);
    expect(change.change).toBeCloseTo(-0.25, 12);
    expect(change.growth).toEqual([{ block: 'b', ratio: [[2, NaN], [1, 3]] }]);
    expect(() => featureReuseChange([block([[1]])], [block([[1], [2]])])).toThrow(/different architectures/);
  });
});

describe('highwayGateActivity (Srivastava et al. 2015 Fig. 2)', () => {
  it('reports σ(b) everywhere when the gate weights are zero', () => {
    const model = new HighwayNetFC({ depth: 4, width: 6, inFeatures: 5, numClasses: 2, rng: new Rng(1) });
    const biases = [-3, 0, 2];
    model.layers.forEach((layer, i) => {
      layer.gate!.weight.f32.fill(0);
      layer.gate!.bias!.f32.fill(biases[i]!);
    });
    const activity = highwayGateActivity(model, randn([7, 5], { rng: new Rng(2) }));
    expect(activity.map((a) => a.layer)).toEqual(['layers.0', 'layers.1', 'layers.2']);
    activity.forEach((a, i) => {
      const expected = 1 / (1 + Math.exp(-biases[i]!));
      expect(a.meanGate).toBeCloseTo(expected, 6);
      expect(a.perExample).toHaveLength(7);
      expect(a.closedFraction).toBe(expected < 0.1 ? 1 : 0);
    });
  });
});

describe('linearProbe', () => {
  it('recovers targets that are a linear function of the features and fails on noise', () => {
    const rng = new Rng(4);
    const rows = 200;
    const classes = 4;
    const targets = Int32Array.from({ length: rows }, () => rng.int(classes));
    const onehot = new Float32Array(rows * classes);
    targets.forEach((t, r) => (onehot[r * classes + t] = 1));
    const exact = linearProbe(onehot, classes, targets, classes, (r) => r < 150);
    expect(exact).toEqual({ trainAccuracy: 1, testAccuracy: 1 });
    const noise = Float32Array.from({ length: rows * 3 }, () => rng.normal());
    expect(linearProbe(noise, 3, targets, classes, (r) => r < 150).testAccuracy).toBeLessThan(0.5);
  });
});
