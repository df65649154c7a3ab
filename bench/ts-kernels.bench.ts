/**
 * Throughput of the TypeScript reference kernels that dominate CNN training: conv2d forward and
 * both backward passes on the three ResNet-20 stage shapes (He et al. 2016, §4.2: 3x3 convs
 * with 16/32/64 filters on 32x32/16x16/8x8 maps), square GEMMs, and the memory-bound
 * normalisation and pooling kernels (in ns per input element) on the first stage's activations.
 *
 *   npx tsx bench/ts-kernels.bench.ts [--quick]
 *
 * Prints GFLOP/s from the best of several repetitions timed in process CPU time (the machine is
 * shared: CPU time and the best run are the least disturbed by other work). FLOPs count one
 * multiply-add as 2.
 */
import type { GemmParams } from '../src/backend/backend.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from '../src/backend/ts/conv2d.js';
import { batchNormBackward, batchNormForward } from '../src/backend/ts/batch-norm.js';
import { gemm } from '../src/backend/ts/gemm.js';
import { layerNormBackward, layerNormForward } from '../src/backend/ts/layer-norm.js';
import { adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from '../src/backend/ts/pool.js';
import { Rng } from '../src/tensor/rng.js';
import { randomArray, resnet20ConvCases } from './conv-cases.js';

const quick = process.argv.includes('--quick');
const minSeconds = quick ? 0.3 : 1.0;


/** Seconds of CPU time (user + system) this process has used: unlike wall time, it does not
 * count the slices the scheduler gives to other processes on a shared machine. */
function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Best CPU seconds per call. Warm up for a quarter second first: V8 compiles large kernels on a
 * background thread, and on a busy machine the optimised code can arrive after several calls.
 */
function bestTime(fn: () => void): number {
  const warmUpEnd = performance.now() + 250;
  do fn(); while (performance.now() < warmUpEnd);
  let best = Infinity;
  let total = 0;
  let calls = 0;
  while (total < minSeconds || calls < 3) {
    const start = cpuSeconds();
    fn();
    const seconds = cpuSeconds() - start;
    best = Math.min(best, seconds);
    total += seconds;
    calls++;
  }
  return best;
}

function report(name: string, flops: number, seconds: number): void {
  const gflops = flops / seconds / 1e9;
  console.log(`${name.padEnd(44)} ${(seconds * 1e3).toFixed(2).padStart(9)} ms  ${gflops.toFixed(2).padStart(7)} GFLOP/s`);
}

const rng = new Rng(1);
const batch = 32;
console.log(`TypeScript kernels, Node ${process.version}${quick ? ' (quick)' : ''}`);
for (const c of resnet20ConvCases(rng, batch)) {
  report(`${c.label} forward`, c.flops, bestTime(() => conv2dForward(c.x, c.xShape, c.w, c.wShape, c.bias, c.params, c.y, c.xShape)));
  report(`${c.label} backward input`, c.flops, bestTime(() => conv2dBackwardInput(c.dy, c.xShape, c.w, c.wShape, c.params, c.dx, c.xShape)));
  report(`${c.label} backward weight`, c.flops, bestTime(() => conv2dBackwardWeight(c.x, c.xShape, c.dy, c.xShape, c.params, c.dw, c.wShape)));
}

for (const n of [256, 512, 1024]) {
  const a = randomArray(rng, n * n);
  const b = randomArray(rng, n * n);
  const c = new Float32Array(n * n);
  for (const [transA, transB] of [[false, false], [false, true], [true, false]] as const) {
    const params: GemmParams = { batch: 1, m: n, n, k: n, transA, transB, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
    const op = `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;
    report(`gemm ${n}x${n}x${n} ${op}`, 2 * n * n * n, bestTime(() => gemm(params, a, b, c)));
  }
}

// Memory-bound kernels on ResNet-20's first-stage activations (32, 16, 32, 32).
{
  const shape = [batch, 16, 32, 32];
  const count = batch * 16 * 32 * 32;
  const x = randomArray(rng, count);
  const dy = randomArray(rng, count);
  const y = new Float32Array(count);
  const dx = new Float32Array(count);
  const gamma = new Float32Array(16).fill(1);
  const beta = new Float32Array(16);
  const runningMean = new Float32Array(16);
  const runningVar = new Float32Array(16).fill(1);
  const saveMean = new Float32Array(16);
  const saveInvStd = new Float32Array(16);
  const dgamma = new Float32Array(16);
  const dbeta = new Float32Array(16);
  const perElement = (name: string, seconds: number): void => console.log(`${name.padEnd(44)} ${(seconds * 1e3).toFixed(2).padStart(9)} ms  ${((seconds * 1e9) / count).toFixed(2).padStart(7)} ns/element`);
  const training = { training: true, momentum: 0.1, eps: 1e-5 };
  perElement('batch norm forward (training)', bestTime(() => batchNormForward(x, shape, gamma, beta, runningMean, runningVar, training, y, saveMean, saveInvStd)));
  perElement('batch norm backward (training)', bestTime(() => batchNormBackward(x, shape, dy, gamma, saveMean, saveInvStd, true, dx, dgamma, dbeta)));
  const rows = count / 512;
  const rowMean = new Float32Array(rows);
  const rowInvStd = new Float32Array(rows);
  const lnGamma = new Float32Array(512).fill(1);
  const lnBeta = new Float32Array(512);
  const lnDgamma = new Float32Array(512);
  const lnDbeta = new Float32Array(512);
  perElement('layer norm forward (rows of 512)', bestTime(() => layerNormForward(x, rows, 512, lnGamma, lnBeta, 1e-5, y, rowMean, rowInvStd)));
  perElement('layer norm backward', bestTime(() => layerNormBackward(x, rows, 512, dy, lnGamma, rowMean, rowInvStd, dx, lnDgamma, lnDbeta)));
  const pooledShape = [batch, 16, 16, 16];
  const pooled = new Float32Array(count / 4);
  const argmax = new Int32Array(count / 4);
  const maxParams = { kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] } as const;
  perElement('max pool 3x3 stride 2 pad 1 forward', bestTime(() => maxPool2dForward(x, shape, maxParams, pooled, pooledShape, argmax)));
  perElement('max pool backward', bestTime(() => maxPool2dBackward(pooled, argmax, dx)));
  const avgParams = { kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], countIncludePad: true } as const;
  perElement('avg pool 2x2 stride 2 forward', bestTime(() => avgPool2dForward(x, shape, avgParams, pooled, pooledShape)));
  perElement('avg pool 2x2 stride 2 backward', bestTime(() => avgPool2dBackward(pooled, pooledShape, avgParams, dx, shape)));
  const global = new Float32Array(batch * 16);
  perElement('global average pool forward', bestTime(() => adaptiveAvgPool2dForward(x, shape, global, [batch, 16, 1, 1])));
}
