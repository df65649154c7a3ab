/**
 * The rows of `npm run bench` and how our side runs them: SGEMM, the convolution layers of
 * ResNet-20's three stages (batch 128), and whole training steps of the models of issue 5.
 * bench/torch_suite.py runs the same rows in PyTorch; each row's `id` ties the two together.
 */
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { permute } from '../src/autograd/functions/permute.js';
import { reshape } from '../src/autograd/functions/reshape.js';
import { noGrad } from '../src/autograd/no-grad.js';
import { withPrecision } from '../src/autograd/precision.js';
import type { Backend, Conv2dParams, Precision } from '../src/backend/backend.js';
import { createModel, type ModelOptions } from '../src/models/registry.js';
import { SGD } from '../src/optim/sgd.js';
import { recycleTensors } from '../src/tensor/recycling-scope.js';
import { Rng } from '../src/tensor/rng.js';
import { intTensor, randn } from '../src/tensor/tensor.js';

export interface GemmRow { kind: 'gemm'; id: string; size: number }
export interface ConvRow {
  kind: 'conv'; id: string; label: string; direction: 'forward' | 'backwardInput' | 'backwardWeight';
  n: number; c: number; h: number; w: number; o: number; k: number; stride: number; padding: number;
}
export interface ModelRow {
  kind: 'model'; id: string; label: string; model: string; options: ModelOptions; input: number[]; eval?: boolean; repeats?: number;
  /** 'bf16': convolutions on bf16 operands (withPrecision; PyTorch: torch.autocast('cpu', dtype=torch.bfloat16)). */
  precision?: Precision;
}
export type BenchRow = GemmRow | ConvRow | ModelRow;

export const gemmRows = (sizes: number[]): GemmRow[] => sizes.map((size) => ({ kind: 'gemm', id: `sgemm-${size}`, size }));

/** ResNet-20's distinct 3×3 convolutions (He et al. 2016, §4.2): 16, 32, 64 filters, the first of a stage strided. */
export function convRows(batch: number): ConvRow[] {
  const layers = [
    { label: 'stage1 16→16 32²', c: 16, h: 32, o: 16, stride: 1 },
    { label: 'stage2 16→32 /2', c: 16, h: 32, o: 32, stride: 2 },
    { label: 'stage2 32→32 16²', c: 32, h: 16, o: 32, stride: 1 },
    { label: 'stage3 32→64 /2', c: 32, h: 16, o: 64, stride: 2 },
    { label: 'stage3 64→64 8²', c: 64, h: 8, o: 64, stride: 1 },
  ];
  return layers.flatMap((l) => (['forward', 'backwardInput', 'backwardWeight'] as const).map((direction) => ({
    kind: 'conv' as const, id: `conv-${l.c}-${l.o}-${l.h}-s${l.stride}-${direction}`, label: `${l.label} ${direction}`, direction,
    n: batch, c: l.c, h: l.h, w: l.h, o: l.o, k: 3, stride: l.stride, padding: 1,
  })));
}

/** Whole training steps (batch 128 at 32×32 unless noted; ResNet-20 also at 64 and 32), and ResNet-20 inference. */
export function modelRows(): ModelRow[] {
  return [
    { kind: 'model', id: 'train-resnet20', label: 'ResNet-20 train step, batch 128', model: 'resnet20', options: {}, input: [128, 3, 32, 32] },
    { kind: 'model', id: 'train-resnet20-bf16', label: 'ResNet-20 train step, batch 128, bf16', model: 'resnet20', options: {}, input: [128, 3, 32, 32], precision: 'bf16' },
    // Quick experiments train at batch 64 and the lab at 32: small batches must not waste the machine.
    { kind: 'model', id: 'train-resnet20-b64', label: 'ResNet-20 train step, batch 64', model: 'resnet20', options: {}, input: [64, 3, 32, 32], repeats: 7 },
    { kind: 'model', id: 'train-resnet20-b32', label: 'ResNet-20 train step, batch 32', model: 'resnet20', options: {}, input: [32, 3, 32, 32], repeats: 9 },
    { kind: 'model', id: 'eval-resnet20', label: 'ResNet-20 inference, batch 128', model: 'resnet20', options: {}, input: [128, 3, 32, 32], eval: true },
    { kind: 'model', id: 'train-resnet56', label: 'ResNet-56 train step, batch 128', model: 'resnet56', options: {}, input: [128, 3, 32, 32], repeats: 3 },
    { kind: 'model', id: 'train-resnet56-bf16', label: 'ResNet-56 train step, batch 128, bf16', model: 'resnet56', options: {}, input: [128, 3, 32, 32], repeats: 3, precision: 'bf16' },
    { kind: 'model', id: 'train-plain20', label: 'plain-20 train step, batch 128', model: 'plain20', options: {}, input: [128, 3, 32, 32] },
    { kind: 'model', id: 'train-densenet_bc_40', label: 'DenseNet-BC-40 train step, batch 128', model: 'densenet_bc_40', options: {}, input: [128, 3, 32, 32], repeats: 3 },
    { kind: 'model', id: 'train-unet', label: 'U-Net 4 levels base 16, 64², batch 16', model: 'unet', options: { levels: 4, baseWidth: 16, inChannels: 1, numClasses: 2 }, input: [16, 1, 64, 64] },
    { kind: 'model', id: 'train-mlp', label: 'MLP 784-256-256-10, batch 128', model: 'mlp', options: {}, input: [128, 1, 28, 28], repeats: 20 },
  ];
}

/**
 * 'wall': elapsed time. 'cpu': process CPU time divided by the thread count — on a shared,
 * oversubscribed machine this estimates the time the run would take with its cores to itself
 * (spin-waiting counts against the measured side; PyTorch is measured the same way).
 */
export type Clock = 'wall' | 'cpu';

function now(clock: Clock, threads: number): number {
  if (clock === 'wall') return performance.now() / 1000;
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6 / threads;
}

/** Median time of at least `repeats` runs after one warm-up run, and of as many more (up to
 * 1000) as it takes to have timed `minSeconds` in all. */
export function medianSeconds(fn: () => void, repeats: number, clock: Clock = 'wall', threads = 1, minSeconds = 0): number {
  fn();
  const times: number[] = [];
  let total = 0;
  while (times.length < repeats || (total < minSeconds && times.length < 1000)) {
    const start = now(clock, threads);
    fn();
    times.push(now(clock, threads) - start);
    total += times[times.length - 1]!;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export const rowFlops = (row: GemmRow | ConvRow): number => {
  if (row.kind === 'gemm') return 2 * row.size ** 3;
  const oh = Math.floor((row.h + 2 * row.padding - row.k) / row.stride) + 1;
  return 2 * row.n * row.o * oh * oh * row.c * row.k * row.k;
};

function random(length: number, rng: Rng): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

/** A closure running one kernel-level row on `backend`. */
export function kernelRunner(row: GemmRow | ConvRow, backend: Backend): () => void {
  const rng = new Rng(1);
  if (row.kind === 'gemm') {
    const s = row.size;
    const a = random(s * s, rng), b = random(s * s, rng), c = new Float32Array(s * s);
    const p = { batch: 1, m: s, n: s, k: s, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
    return () => backend.gemm(p, a, b, c);
  }
  const oh = Math.floor((row.h + 2 * row.padding - row.k) / row.stride) + 1;
  const xShape = [row.n, row.c, row.h, row.w], wShape = [row.o, row.c, row.k, row.k], yShape = [row.n, row.o, oh, oh];
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const x = random(size(xShape), rng), w = random(size(wShape), rng), dy = random(size(yShape), rng);
  const out = new Float32Array(size(yShape)), dx = new Float32Array(size(xShape)), dw = new Float32Array(size(wShape));
  const p: Conv2dParams = { stride: [row.stride, row.stride], padding: [row.padding, row.padding], dilation: [1, 1], groups: 1 };
  if (row.direction === 'forward') return () => backend.conv2dForward(x, xShape, w, wShape, null, p, out, yShape);
  if (row.direction === 'backwardInput') return () => backend.conv2dBackwardInput(dy, yShape, w, wShape, p, dx, xShape);
  return () => backend.conv2dBackwardWeight(x, xShape, dy, yShape, p, dw, wShape);
}

/** A closure running one training step (forward, cross-entropy, backward, SGD) or one inference pass. */
export function modelRunner(row: ModelRow): () => void {
  const rng = new Rng(0);
  const name = row.model === 'plain20' ? 'resnet20' : row.model;
  const options: ModelOptions = { ...row.options, rng, ...(row.model === 'plain20' ? { skip: 'none' as const } : {}) };
  const model = createModel(name, options);
  const x = randn(row.input, { rng });
  const segmentation = row.model === 'unet';
  const classes = segmentation ? 2 : 10;
  const rows = segmentation ? row.input[0]! * row.input[2]! * row.input[3]! : row.input[0]!;
  const labels = intTensor(Array.from({ length: rows }, () => rng.int(classes)));
  const precision = row.precision ?? 'fp32';
  if (row.eval) {
    model.eval();
    return () => { withPrecision(precision, () => noGrad(() => model.forward(x))); };
  }
  // Each training step runs in a recycling scope, as src/train/trainer.ts does: its activations
  // go back to the pool when it ends (PyTorch frees them by reference counting).
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  return () => withPrecision(precision, () => recycleTensors(() => {
    let logits = model.forward(x);
    // Per-pixel classification: (N, C, H, W) → (N·H·W, C), as F.cross_entropy does for PyTorch.
    if (segmentation) logits = reshape(permute(logits, [0, 2, 3, 1]), [rows, classes]);
    const loss = crossEntropy(logits, labels);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
  }));
}
