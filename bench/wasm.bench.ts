/**
 * The WebAssembly SIMD backend against the TypeScript reference, one thread each:
 * square SGEMMs, conv2d forward / backward-input / backward-weight on the three ResNet-20 stage
 * shapes (He et al. 2016, §4.2: 3x3 convs, 16/32/64 filters on 32x32/16x16/8x8 maps), and the
 * memory-bound kernels of a training step (where the wasm backend pays its copy-in/copy-out).
 *
 *   npm run build:wasm && npx tsx bench/wasm.bench.ts [--quick] [--batch 128] [--threads 2]
 *
 * With --threads n a column for the wasm backend on n threads (worker threads, shared memory) is
 * added; it splits GEMM and convolution only.
 *
 * Times are the best of several repetitions after a warm-up (the machine is shared, and V8
 * tiers WebAssembly up from Liftoff to TurboFan only after the first calls). FLOPs count one
 * multiply-add as 2. Timings include the wasm backend's copies in and out.
 */
import type { Backend, GemmParams } from '../src/backend/backend.js';
import { typescriptBackend } from '../src/backend/ts/index.js';
import { createThreadedWasmBackend, loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/index.js';
import { Rng } from '../src/tensor/rng.js';
import { randomArray, resnet20ConvCases } from './conv-cases.js';

const quick = process.argv.includes('--quick');
const batchArgument = process.argv.indexOf('--batch');
const batch = batchArgument >= 0 ? Number(process.argv[batchArgument + 1]) : 32;
const minSeconds = quick ? 0.2 : 0.8;

const wasm = loadWasmBackend();
if (!wasm) throw new Error(`bench/wasm.bench.ts: the wasm backend is unavailable: ${wasmUnavailableReason()}`);
const threadsArgument = process.argv.indexOf('--threads');
const threads = threadsArgument >= 0 ? Number(process.argv[threadsArgument + 1]) : 1;
const backends: Backend[] = [wasm];
if (threads > 1) {
  const threaded = createThreadedWasmBackend(threads);
  if (!('backend' in threaded)) throw new Error(`bench/wasm.bench.ts: ${threaded.reason}`);
  backends.push(threaded.backend);
}
backends.push(typescriptBackend);


/** Best seconds per call: two warm-up calls, then repeat until minSeconds have passed (≥ 3 calls). */
function bestTime(fn: () => void): number {
  fn();
  fn();
  let best = Infinity;
  let total = 0;
  let calls = 0;
  while (total < minSeconds || calls < 3) {
    const start = performance.now();
    fn();
    const seconds = (performance.now() - start) / 1e3;
    best = Math.min(best, seconds);
    total += seconds;
    calls++;
  }
  return best;
}

/** One row: the case, then per backend ms and GFLOP/s (or GB/s of array traffic), then the speed-up. */
function row(name: string, work: number, unit: 'GFLOP/s' | 'GB/s', run: (backend: Backend) => void): void {
  const seconds = backends.map((backend) => bestTime(() => run(backend)));
  const cells = seconds.map((s) => `${(s * 1e3).toFixed(2).padStart(9)} ms ${(work / s / 1e9).toFixed(2).padStart(7)}`);
  console.log(`${name.padEnd(40)} ${cells.join('  ')} ${unit}   ×${(seconds[seconds.length - 1]! / seconds[0]!).toFixed(1)}`);
}

const rng = new Rng(1);
console.log(`wasm vs ts, Node ${process.version}${quick ? ' (quick)' : ''}; ${wasm.describe()}`);
const columns = backends.map((b) => (b === wasm ? 'wasm' : b === typescriptBackend ? 'ts' : `wasm ${threads} threads`));
console.log(`${'case'.padEnd(40)} ${columns.map((c) => c.padStart(26)).join('  ')}   wasm/ts`);

for (const n of [256, 512, 1024]) {
  const a = randomArray(rng, n * n);
  const b = randomArray(rng, n * n);
  const c = new Float32Array(n * n);
  for (const [transA, transB] of [[false, false], [false, true], [true, false]] as const) {
    if (quick && n === 1024 && (transA || transB)) continue;
    const params: GemmParams = { batch: 1, m: n, n, k: n, transA, transB, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
    row(`sgemm ${n}³ ${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`, 2 * n * n * n, 'GFLOP/s', (backend) => backend.gemm(params, a, b, c));
  }
}

for (const c of resnet20ConvCases(rng, batch)) {
  row(`${c.label} fwd`, c.flops, 'GFLOP/s', (b) => b.conv2dForward(c.x, c.xShape, c.w, c.wShape, c.bias, c.params, c.y, c.xShape));
  row(`${c.label} bwd-input`, c.flops, 'GFLOP/s', (b) => b.conv2dBackwardInput(c.dy, c.xShape, c.w, c.wShape, c.params, c.dx, c.xShape));
  row(`${c.label} bwd-weight`, c.flops, 'GFLOP/s', (b) => b.conv2dBackwardWeight(c.x, c.xShape, c.dy, c.xShape, c.params, c.dw, c.wShape));
}

// Memory-bound kernels on a stage-1 activation: GB/s counts the bytes the kernel must touch.
const shape = [batch, 16, 32, 32];
const n = batch * 16 * 32 * 32;
const x = randomArray(rng, n);
const out = new Float32Array(n);
const dy = randomArray(rng, n);
const gamma = randomArray(rng, 16);
const beta = randomArray(rng, 16);
const stats = [new Float32Array(16), new Float32Array(16).fill(1), new Float32Array(16), new Float32Array(16)] as const;
const bn = { training: true, momentum: 0.1, eps: 1e-5 };
row(`relu ${n}`, 8 * n, 'GB/s', (b) => b.unary('relu', x, out));
row(`relu backward ${n}`, 12 * n, 'GB/s', (b) => b.unaryBackward('relu', x, out, dy, out));
row(`add (same shape) ${n}`, 12 * n, 'GB/s', (b) => b.binary('add', x, shape, dy, shape, out, shape));
row(`batch norm fwd [${shape}]`, 8 * n, 'GB/s', (b) => b.batchNormForward(x, shape, gamma, beta, stats[0], stats[1], bn, out, stats[2], stats[3]));
row(`batch norm bwd [${shape}]`, 12 * n, 'GB/s', (b) => b.batchNormBackward(x, shape, dy, gamma, stats[2], stats[3], true, out, stats[2].slice(), stats[3].slice()));
const parameters = 270_000; // ResNet-20's parameter count
const p = randomArray(rng, parameters);
const g = randomArray(rng, parameters);
const m = new Float32Array(parameters);
const v = new Float32Array(parameters);
row(`sgd momentum step ${parameters}`, 16 * parameters, 'GB/s', (b) =>
  b.sgdStep(p, g, m, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: false, firstStep: false }));
row(`adam step ${parameters}`, 28 * parameters, 'GB/s', (b) =>
  b.adamStep(p, g, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, step: 5 }));
