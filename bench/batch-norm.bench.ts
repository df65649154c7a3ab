/**
 * Batch norm of ResNet-20's 19 layers (batch 128, 32×32 input): process CPU time per training
 * step's worth of batch-norm calls on the native backend, unfused (BN, then ReLU) against fused
 * (one pass; BatchNormParams.relu and the reluOutput argument of batchNormBackward). Outputs are
 * preallocated, so this measures the kernels, not page faults on fresh buffers.
 *
 *   npx tsx bench/batch-norm.bench.ts [threads=1] [repeats=20]
 */
import type { Backend, BatchNormParams, Shape } from '../src/backend/backend.js';
import { configureNative } from '../src/backend/native/index.js';
import { Rng } from '../src/tensor/rng.js';
import { nativeOrExit, processCpuMs } from './native-script.js';

const native = nativeOrExit();
const threads = Number(process.argv[2] ?? 1);
const repeats = Number(process.argv[3] ?? 20);
configureNative({ threads });

const cpuMs = processCpuMs;

/** Stem + 6 convs per stage: 7 layers at 16×32², 6 at 32×16², 6 at 64×8² (He et al. 2016, §4.2). */
const shapes: Shape[] = [
  ...Array<Shape>(7).fill([128, 16, 32, 32]), ...Array<Shape>(6).fill([128, 32, 16, 16]), ...Array<Shape>(6).fill([128, 64, 8, 8]),
];
const rng = new Rng(1);
interface Layer { shape: Shape; x: Float32Array; dy: Float32Array; out: Float32Array; relu: Float32Array; dx: Float32Array; dReluOut: Float32Array;
  gamma: Float32Array; beta: Float32Array; runningMean: Float32Array; runningVar: Float32Array; mean: Float32Array; invStd: Float32Array;
  dgamma: Float32Array; dbeta: Float32Array }
const layers: Layer[] = shapes.map((shape) => {
  const size = shape.reduce((a, b) => a * b, 1), c = shape[1]!;
  const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  return {
    shape, x: random(size), dy: random(size), out: new Float32Array(size).fill(1), relu: new Float32Array(size).fill(1),
    dx: new Float32Array(size).fill(1), dReluOut: new Float32Array(size).fill(1), gamma: random(c), beta: random(c),
    runningMean: new Float32Array(c), runningVar: new Float32Array(c).fill(1), mean: new Float32Array(c), invStd: new Float32Array(c),
    dgamma: new Float32Array(c), dbeta: new Float32Array(c),
  };
});
const be: Backend = native;
const unfused: BatchNormParams = { training: true, momentum: 0.1, eps: 1e-5 };
const fused: BatchNormParams = { ...unfused, relu: true };

const variants: [string, (l: Layer) => void, (l: Layer) => void][] = [
  ['BN then ReLU (unfused)', (l) => {
    be.batchNormForward(l.x, l.shape, l.gamma, l.beta, l.runningMean, l.runningVar, unfused, l.out, l.mean, l.invStd);
    be.unary('relu', l.out, l.relu);
  }, (l) => {
    be.unaryBackward('relu', l.out, l.relu, l.dy, l.dReluOut);
    be.batchNormBackward(l.x, l.shape, l.dReluOut, l.gamma, l.mean, l.invStd, true, l.dx, l.dgamma, l.dbeta);
  }],
  ['BN+ReLU (fused)', (l) => {
    be.batchNormForward(l.x, l.shape, l.gamma, l.beta, l.runningMean, l.runningVar, fused, l.relu, l.mean, l.invStd);
  }, (l) => {
    be.batchNormBackward(l.x, l.shape, l.dy, l.gamma, l.mean, l.invStd, true, l.dx, l.dgamma, l.dbeta, l.relu);
  }],
  ['BN alone', (l) => {
    be.batchNormForward(l.x, l.shape, l.gamma, l.beta, l.runningMean, l.runningVar, unfused, l.out, l.mean, l.invStd);
  }, (l) => {
    be.batchNormBackward(l.x, l.shape, l.dy, l.gamma, l.mean, l.invStd, true, l.dx, l.dgamma, l.dbeta);
  }],
];

console.log(`ResNet-20 batch norm (19 layers, batch 128), native ${native.describe()}, ${threads} thread(s), median of ${repeats}`);
for (const [label, forward, backward] of variants) {
  const times: [number, number][] = [];
  for (let r = 0; r <= repeats; r++) {
    const t0 = cpuMs();
    for (const l of layers) forward(l);
    const t1 = cpuMs();
    for (const l of layers) backward(l);
    const t2 = cpuMs();
    if (r > 0) times.push([t1 - t0, t2 - t1]); // the first round warms up
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const f = median(times.map((t) => t[0])), b = median(times.map((t) => t[1]));
  console.log(`  ${label.padEnd(24)} forward ${f.toFixed(1).padStart(6)} ms  backward ${b.toFixed(1).padStart(6)} ms  total ${(f + b).toFixed(1).padStart(6)} ms CPU`);
}
