import { describe, expect, it } from 'vitest';
import { traceOps } from '../../src/autograd/trace.js';
import { BasicBlock, Bottleneck } from '../../src/blocks/residual.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, type Tensor } from '../../src/tensor/tensor.js';
import { maxRelativeError } from '../helpers/backends.js';

/**
 * A plain twin (skip 'none') computes relu(F(x)): its last batch norm runs fused with that ReLU
 * (batchNormRelu) unless a hook on the norm must see the intermediate, and the fused block equals
 * the unfused one exactly — output, input and parameter gradients, running statistics.
 */
const rng = new Rng(43);
type AnyBlock = BasicBlock | Bottleneck;

function run(block: AnyBlock, x: Tensor, seed: Tensor): { ops: string[]; arrays: Float32Array[] } {
  const input = x.clone();
  input.requiresGrad = true;
  block.zeroGrad();
  const ops: string[] = [];
  const y = traceOps((op) => void ops.push(op.op), () => block.forward(input));
  y.backward(seed);
  const grads = block.parameters().map((p) => Float32Array.from(p.grad!.f32));
  const state = Object.values(block.stateDict()).map((t) => Float32Array.from(t.data));
  return { ops, arrays: [y.f32, input.grad!.f32, ...grads, ...state] };
}

describe.each([
  { name: 'BasicBlock', make: () => new BasicBlock(4, 4, { skip: 'none', rng: new Rng(3) }), lastNorm: (b: AnyBlock) => (b as BasicBlock).bn2 },
  { name: 'Bottleneck', make: () => new Bottleneck(8, 2, { skip: 'none', rng: new Rng(4) }), lastNorm: (b: AnyBlock) => (b as Bottleneck).bn3 },
])('plain-twin $name', ({ make, lastNorm }) => {
  it.each([true, false])('fuses its last batch norm with the ReLU, exactly as the separate ops (training %s)', (training) => {
    const fused = make(), plain = make(), shape = make();
    fused.training = plain.training = training;
    const x = randn([3, fused instanceof Bottleneck ? 8 : 4, 6, 6], { rng });
    const seed = randn(shape.forward(x).shape, { rng });
    const remove = lastNorm(plain).registerForwardHook(() => {});
    const a = run(fused, x, seed), b = run(plain, x, seed);
    remove();
    expect(a.ops.at(-1)).toBe('batchNormRelu');
    expect(b.ops.slice(-2)).toEqual(['batchNorm', 'relu']);
    a.arrays.forEach((v, i) => expect(maxRelativeError(v, b.arrays[i]!), `array ${i}`).toBe(0));
  });
});
