import { describe, expect, it } from 'vitest';
import { add } from '../../src/autograd/functions/binary.js';
import { sum } from '../../src/autograd/functions/reduce.js';
import { gradcheck } from '../../src/autograd/gradcheck.js';
import { BatchNorm2d, Conv2d, Dropout, Flatten, Linear, ReLU, Sequential } from '../../src/nn/layers/index.js';
import { Module, Parameter } from '../../src/nn/module.js';
import { Rng } from '../../src/tensor/rng.js';
import { ones, randn, Tensor, zeros } from '../../src/tensor/tensor.js';

class TinyNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  layers: Module[];
  fc: Linear;
  constructor(rng: Rng) {
    super();
    this.conv1 = new Conv2d(1, 2, 3, { padding: 1, bias: false, rng });
    this.bn1 = new BatchNorm2d(2);
    this.layers = [new ReLU(), new Flatten()];
    this.fc = new Linear(2 * 4 * 4, 3, { rng });
  }
  forward(x: Tensor): Tensor {
    let y = this.bn1.forward(this.conv1.forward(x));
    for (const l of this.layers) y = l.forward(y);
    return this.fc.forward(y);
  }
}

describe('Module', () => {
  it('finds parameters and buffers by walking fields, with torchvision-style names in order', () => {
    const net = new TinyNet(new Rng(1));
    expect(Object.keys(net.stateDict())).toEqual([
      'conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'fc.weight', 'fc.bias',
    ]);
    expect(net.namedParameters().map(([n]) => n)).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'fc.weight', 'fc.bias']);
    expect(net.parameterCount()).toBe(2 * 9 + 2 + 2 + 32 * 3 + 3);
  });

  it('names Sequential children by index like PyTorch', () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('round-trips the state dict and rejects wrong keys or shapes without changing anything', () => {
    const a = new TinyNet(new Rng(1));
    const b = new TinyNet(new Rng(2));
    const x = randn([2, 1, 4, 4], { rng: new Rng(3) });
    a.eval();
    b.eval();
    expect(b.forward(x).toFloat32Array()).not.toEqual(a.forward(x).toFloat32Array());
    b.loadStateDict(a.stateDict());
    expect(b.forward(x).toFloat32Array()).toEqual(a.forward(x).toFloat32Array());

    const c = new TinyNet(new Rng(4));
    const before = c.fc.weight.toFloat32Array();
    const bad = { ...a.stateDict(), 'fc.weight': zeros([3, 31]) };
    expect(() => c.loadStateDict(bad)).toThrow(/'fc.weight' has shape \[3, 31\] but the model expects \[3, 32\]/);
    expect(c.fc.weight.toFloat32Array()).toEqual(before);
    const missing = { ...a.stateDict() } as Record<string, Tensor>;
    delete missing['bn1.running_var'];
    expect(() => c.loadStateDict({ ...missing, extra: zeros([1]) })).toThrow(/missing keys: bn1.running_var; unexpected keys: extra/);
    expect(c.fc.weight.toFloat32Array()).toEqual(before);
  });

  it('switches train/eval through the tree and BatchNorm uses running statistics in eval', () => {
    const net = new TinyNet(new Rng(1));
    const x = randn([4, 1, 4, 4], { rng: new Rng(3) });
    net.train();
    net.forward(x);
    expect(net.bn1.num_batches_tracked!.data[0]).toBe(1);
    expect(Array.from(net.bn1.running_mean!.f32).some((v) => v !== 0)).toBe(true);
    net.eval();
    expect([...net.modules()].every((m) => !m.training)).toBe(true);
    const y1 = net.forward(x).toFloat32Array();
    const y2 = net.forward(x).toFloat32Array();
    expect(y1).toEqual(y2);
    expect(net.bn1.num_batches_tracked!.data[0]).toBe(1);
  });

  it('runs forward, pre-forward and backward hooks, and removes them', () => {
    const lin = new Linear(3, 2, { rng: new Rng(1) });
    const seen: string[] = [];
    let gradSeen: Tensor | null = null;
    const r1 = lin.registerForwardPreHook((_m, x) => {
      seen.push(`pre ${x.shape}`);
    });
    const r2 = lin.registerForwardHook((_m, _x, y) => {
      seen.push(`post ${y.shape}`);
      return add(y, ones([2]));
    });
    const r3 = lin.registerBackwardHook((_m, g) => {
      gradSeen = g;
    });
    const x = randn([4, 3], { requiresGrad: true });
    const plain = new Linear(3, 2);
    plain.loadStateDict(lin.stateDict());
    const y = lin.forward(x);
    expect(seen).toEqual(['pre 4,3', 'post 4,2']);
    expect(y.f32[0]).toBeCloseTo(plain.forward(x).f32[0]! + 1, 5);
    sum(y).backward();
    expect(gradSeen).not.toBeNull();
    expect(Array.from(gradSeen!.f32)).toEqual(new Array(8).fill(1));
    expect(lin.hooked).toBe(true);
    r1();
    r2();
    expect(lin.hooked).toBe(true); // one hook left
    r3();
    expect(lin.hooked).toBe(false);
    seen.length = 0;
    lin.forward(x);
    expect(seen).toEqual([]);
    expect(Object.prototype.hasOwnProperty.call(lin, 'forward')).toBe(false);
  });

  it('summary lists output shapes, parameters and multiply-adds per layer', () => {
    const net = new TinyNet(new Rng(1));
    const s = net.summary([2, 1, 4, 4]);
    const conv = s.rows.find((r) => r.name === 'conv1')!;
    expect(conv.outputShape).toEqual([2, 2, 4, 4]);
    expect(conv.parameters).toBe(18);
    expect(conv.multiplyAdds).toBe(2 * 2 * 16 * 9);
    expect(s.rows.find((r) => r.name === 'fc')!.multiplyAdds).toBe(2 * 3 * 32);
    expect(s.totalParameters).toBe(net.parameterCount());
    expect(s.toString()).toMatch(/total parameters: 121/);
    expect(net.training).toBe(true);
  });

  it('gradchecks a whole small network through its parameters', () => {
    const net = new TinyNet(new Rng(5));
    const x = randn([3, 1, 4, 4], { rng: new Rng(6) });
    const params = net.parameters();
    // A small step: BN amplifies weight changes, and a large one would carry values across ReLU kinks.
    const result = gradcheck(() => net.forward(x), params, { eps: 1e-3, atol: 3e-3, rtol: 3e-2 });
    expect(result.ok, result.message).toBe(true);
  });

  it('names the layer and both shapes on a shape mismatch', () => {
    const conv = new Conv2d(3, 4, 3);
    expect(() => conv.forward(zeros([1, 2, 8, 8]))).toThrow(/Conv2d: input \[1, 2, 8, 8\] has 2 channels but weight \[4, 3, 3, 3\]/);
    const lin = new Linear(5, 2);
    expect(() => lin.forward(zeros([3, 4]))).toThrow(/linear: input \[3, 4\] does not match weight \[2, 5\]/);
    const bn = new BatchNorm2d(3);
    expect(() => bn.forward(zeros([2, 4, 2, 2]))).toThrow(/BatchNorm2d\(3\).*got \[2, 4, 2, 2\]/);
  });

  it('dropout is identity in eval and seeded in training', () => {
    const x = ones([1000]);
    const d1 = new Dropout(0.25, { rng: new Rng(9) });
    const d2 = new Dropout(0.25, { rng: new Rng(9) });
    const a = d1.forward(x).toFloat32Array();
    expect(a).toEqual(d2.forward(x).toFloat32Array());
    const zerosCount = a.filter((v) => v === 0).length;
    expect(zerosCount).toBeGreaterThan(200);
    expect(zerosCount).toBeLessThan(300);
    expect(a.filter((v) => v !== 0).every((v) => Math.abs(v - 1 / 0.75) < 1e-6)).toBe(true);
    d1.eval();
    expect(d1.forward(x)).toBe(x);
  });

  it('Parameter always requires a gradient', () => {
    expect(new Parameter(new Float32Array(2), [2]).requiresGrad).toBe(true);
  });
});
