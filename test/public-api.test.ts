import { describe, expect, it } from 'vitest';
import * as skiplab from '../src/index.js';
import { getBackend, gradcheck, intTensor, manualSeed, nn, noGrad, optim, randn, setBackend, tensor, zeros } from '../src/index.js';

describe('the package root', () => {
  it('exports the PyTorch-shaped names the issues promise', () => {
    for (const name of ['Tensor', 'tensor', 'zeros', 'ones', 'randn', 'manualSeed', 'noGrad', 'gradcheck', 'nn', 'optim', 'getBackend', 'setBackend']) {
      expect(skiplab, name).toHaveProperty(name);
    }
    for (const name of ['conv2d', 'convTranspose2d', 'maxPool2d', 'avgPool2d', 'batchNorm', 'layerNorm', 'relu', 'gelu', 'softmax', 'logSoftmax', 'crossEntropy', 'linear', 'dropout']) {
      expect(nn.functional, name).toHaveProperty(name);
    }
    for (const name of ['Linear', 'Conv2d', 'ConvTranspose2d', 'BatchNorm1d', 'BatchNorm2d', 'LayerNorm', 'ReLU', 'GELU', 'Sigmoid', 'Tanh', 'MaxPool2d', 'AvgPool2d', 'AdaptiveAvgPool2d', 'Flatten', 'Dropout', 'Sequential']) {
      expect(nn, name).toHaveProperty(name);
    }
    expect(optim).toHaveProperty('SGD');
    expect(optim).toHaveProperty('AdamW');
  });

  it('runs the README example: one SGD step lowers the loss on the same batch', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 64), new nn.ReLU(), new nn.Linear(64, 10));
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = randn([32, 1, 28, 28]);
    const y = intTensor(Array.from({ length: 32 }, (_, i) => i % 10));
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    const after = noGrad(() => nn.functional.crossEntropy(model.forward(x), y)).item();
    expect(after).toBeLessThan(loss.item());
    expect(model.summary([1, 1, 28, 28]).totalParameters).toBe(784 * 64 + 64 + 64 * 10 + 10);
  });

  it('gives the same numbers for the same seed, other numbers for another, and standard normal ones', () => {
    manualSeed(42);
    const a = randn([2000]).toFloat32Array();
    manualSeed(42);
    expect(randn([2000]).toFloat32Array()).toEqual(a);
    manualSeed(43);
    const b = randn([2000]).toFloat32Array();
    expect(b.filter((v, i) => v === a[i]).length).toBeLessThan(5);
    // A constant or degenerate generator fails here: mean 0 and variance 1 within 5 standard errors.
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(a.length));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / a.length));
    expect(new Set(a).size).toBeGreaterThan(1990);
  });

  it('exposes tensor basics and backend switching', () => {
    const t = tensor([[1, 2], [3, 4]], undefined, { requiresGrad: true });
    expect(t.shape).toEqual([2, 2]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(String(t)).toMatch(/tensor\(\[\[1\.0, 2\.0\],/);
    expect(gradcheck((a) => nn.functional.softmax(a!), [t]).ok).toBe(true);
    const before = getBackend();
    setBackend('ts');
    expect(getBackend().name).toBe('ts');
    expect(zeros([2]).f32).toBeInstanceOf(Float32Array);
    setBackend(before);
  });
});
