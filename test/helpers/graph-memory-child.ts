/**
 * Child process of test/autograd/graph-memory.test.ts (run with --expose-gc): builds a small graph,
 * lets the forward pass's job end, collects garbage and reports which activations survived. The
 * graph must keep what backward reads (a ReLU's output) and let go of what it does not (the
 * residual-style sum that only feeds that ReLU).
 */
import { add, mul, relu, sum } from '../../src/autograd/functions/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { randn, type Tensor } from '../../src/tensor/tensor.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('graph-memory-child: run with node --expose-gc');

const x = randn([64, 64], { rng: new Rng(1), requiresGrad: true });
/** In a function of its own, so no suspended frame of this module holds the intermediates. */
function forward(): { loss: Tensor; refs: { sum: WeakRef<Float32Array>; reluOut: WeakRef<Float32Array> } } {
  const a = relu(x);
  const s = add(a, a); // add's backward reads nothing; the ReLU below reads its own output
  const r = relu(s);
  return { loss: sum(mul(r, r)), refs: { sum: new WeakRef(s.f32), reluOut: new WeakRef(r.f32) } };
}
const { loss, refs } = forward();
// WeakRef targets stay alive until the job that made them ends.
await new Promise((resolve) => setTimeout(resolve, 0));
gc();
const sumFreed = refs.sum.deref() === undefined;
const reluOutFreed = refs.reluOut.deref() === undefined;
loss.backward();
// loss = Σ (2·relu(x))², so dloss/dx = 8x where x > 0, else 0.
let worst = 0;
for (let i = 0; i < x.size; i++) {
  const v = x.f32[i]!;
  worst = Math.max(worst, Math.abs(x.grad!.f32[i]! - (v > 0 ? 8 * v : 0)));
}
console.log(JSON.stringify({ sumFreed, reluOutFreed, worstGradError: worst }));
