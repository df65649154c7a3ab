/**
 * One fresh process of the `memory` section of `npm run bench` (bench/memory-suite.ts): builds a
 * CIFAR ResNet (He et al. 2016 §4.2, option A shortcuts) from the registry and runs a few training
 * steps (forward, cross-entropy, backward, SGD with momentum 0.9) on random 3×32×32 input, then
 * prints one JSON line with the process's resident memory: the baseline right after the imports
 * and the backend choice, and the peak (getrusage's maxRSS, the kernel's high-water mark).
 *
 *   node --import tsx bench/memory-child.ts '{"backend":"native","threads":2,"model":"resnet56","batch":128,"steps":3}'
 *
 * With "probe": true it also records where the memory is: the bytes of every distinct tensor the
 * tape reaches from the loss at the end of forward, and — through gradient hooks on those
 * tensors — the largest resident set and ArrayBuffer total seen while backward runs.
 * Experiments for finding where the memory goes (see the Benchmarks part of README.md):
 * - "gc": true (with node --expose-gc) collects garbage between steps;
 * - "gcEvery": k (with --expose-gc) collects garbage at every k-th gradient hook during backward,
 *   i.e. as if the garbage collector kept up with the tape (implies hooks, like "probe");
 * - "scoped": true drops each step's loss (and so its tape) as soon as the step is over, where by
 *   default the loop holds it until the next step's forward is done, as src/train/trainer.ts does;
 * - "release": true emulates a tape that lets go of each activation as soon as backward is done
 *   with it (PyTorch frees saved tensors as its backward proceeds): once an op's backward has run,
 *   its output tensor's buffer is dropped;
 * - "lean": true (with "release") also emulates ops that save only what their backward reads, as
 *   PyTorch's do: a batch-norm output whose only consumer is `add` is dropped after forward (add's
 *   backward needs shapes only), and the input of a ReLU that follows `add` is swapped for the
 *   ReLU's output (the same x > 0 mask, so the same gradients — the losses printed show it).
 */
import '../src/autograd/index.js';
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { setBackend } from '../src/backend/select.js';
import { configureNative, loadNativeBackend } from '../src/backend/native/index.js';
import { typescriptBackend } from '../src/backend/ts/index.js';
import { createModel } from '../src/models/registry.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { intTensor, randn, type Tensor } from '../src/tensor/tensor.js';
import { readProcStatus } from './memory-status.js';

interface ChildConfig {
  backend: 'native' | 'ts'; threads?: number; model: string; batch: number; steps: number;
  probe?: boolean; gc?: boolean; gcEvery?: number; release?: boolean; scoped?: boolean; lean?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

if (config.backend === 'native') {
  const native = loadNativeBackend();
  if (!native) throw new Error('memory-child: the native backend is not built (node scripts/build-native.mjs)');
  if (config.threads) configureNative({ threads: config.threads });
  setBackend(native);
} else {
  setBackend(typescriptBackend);
}
const baseline = readProcStatus();

const rng = new Rng(0);
const model = createModel(config.model, { rng });
const parameters = model.parameters();
const parameterCount = parameters.reduce((sum, p) => sum + p.size, 0);
const x = randn([config.batch, 3, 32, 32], { rng });
const labels = intTensor(Array.from({ length: config.batch }, () => rng.int(10)));
const optimizer = new SGD(parameters, { lr: 0.01, momentum: 0.9 });
const afterBuild = readProcStatus();

/** Every distinct tensor the tape reaches from `root` (its activations, parameters and inputs). */
function graphTensors(root: Tensor): Tensor[] {
  const seen = new Set<Tensor>([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const input of stack.pop()!.gradFn?.inputs ?? []) {
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return [...seen];
}

interface Probe { graphTensors: number; graphActivationMB: number; activationMBByOp: Record<string, number>; afterForward: Sample; backwardPeak: Sample; afterBackward: Sample; afterStep: Sample }
interface Sample { rssMB: number; arrayBuffersMB: number; heapUsedMB: number }
const sample = (): Sample => {
  const m = process.memoryUsage();
  return { rssMB: m.rss / MB, arrayBuffersMB: m.arrayBuffers / MB, heapUsedMB: m.heapUsed / MB };
};

/** Where the memory is at the end of forward: the activations the tape reaches from the loss. */
function probeGraph(loss: Tensor): Probe {
  const tensors = graphTensors(loss);
  // Activations: tensors made by ops (not parameters, not the input), counted once per buffer.
  const buffers = new Set<ArrayBufferLike>();
  const byOp: Record<string, number> = {};
  for (const t of tensors) {
    if (t.isLeaf || buffers.has(t.data.buffer)) continue;
    buffers.add(t.data.buffer);
    byOp[t.gradFn!.name] = (byOp[t.gradFn!.name] ?? 0) + t.data.buffer.byteLength / MB;
  }
  const activationBytes = [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
  const now = sample();
  return { graphTensors: tensors.length, graphActivationMB: activationBytes / MB, activationMBByOp: byOp, afterForward: now, backwardPeak: now, afterBackward: now, afterStep: now };
}

/** Gradient hooks that sample memory (probe) or collect garbage (gcEvery); the `release` emulation. */
function instrument(loss: Tensor, probe: Probe | null): void {
  let hooks = 0;
  for (const t of graphTensors(loss)) {
    // Not on parameters: their hooks would outlive this step.
    if (t.isLeaf) continue;
    (t.gradHooks ??= []).push(() => {
      if (config.gcEvery && gc && ++hooks % config.gcEvery === 0) gc();
      if (!probe) return;
      const s = sample();
      if (s.rssMB > probe.backwardPeak.rssMB) probe.backwardPeak = s;
    });
    const node = t.gradFn;
    if (config.release && node?.backward) {
      const backward = node.backward;
      node.backward = (gradOutput) => {
        const inputGrads = backward(gradOutput);
        t.data = new Float32Array(0);
        return inputGrads;
      };
    }
  }
}

/** The "lean" emulation: drop what no backward reads (see the header). */
function leanGraph(loss: Tensor): void {
  const tensors = graphTensors(loss);
  const consumers = new Map<Tensor, string[]>();
  for (const t of tensors) for (const input of t.gradFn?.inputs ?? []) consumers.set(input, [...(consumers.get(input) ?? []), t.gradFn!.name]);
  for (const t of tensors) {
    const node = t.gradFn;
    if (node?.name === 'batchNorm' && (consumers.get(t) ?? []).every((name) => name === 'add')) t.data = new Float32Array(0);
    const input = node?.inputs[0];
    if (node?.name === 'relu' && input?.gradFn?.name === 'add' && consumers.get(input)?.length === 1) input.data = t.data;
  }
}

const probes: Probe[] = [];
const losses: number[] = [];
const stepSeconds: number[] = [];

/** One training step; returns the loss, whose tape still reaches every activation. */
function trainStep(): Tensor {
  const start = performance.now();
  const loss = crossEntropy(model.forward(x), labels);
  if (config.lean) leanGraph(loss);
  const probe = config.probe ? probeGraph(loss) : null;
  if (config.probe || config.gcEvery || config.release) instrument(loss, probe);
  losses.push(loss.item());
  optimizer.zeroGrad();
  loss.backward();
  if (probe) probe.afterBackward = sample();
  optimizer.step();
  if (probe) {
    probe.afterStep = sample();
    probes.push(probe);
  }
  stepSeconds.push((performance.now() - start) / 1000);
  return loss;
}

// Like src/train/trainer.ts, the loop keeps the last step's loss until the next forward has
// finished (a loop variable, or a loss kept for logging); "scoped": true drops it at once.
let lastLoss: Tensor | null = null;
for (let step = 0; step < config.steps; step++) {
  if (config.scoped) trainStep();
  else lastLoss = trainStep();
  if (config.gc && gc) gc();
}
void lastLoss;

const end = readProcStatus();
const usage = process.resourceUsage();
console.log(JSON.stringify({
  runtime: `node ${process.version}`,
  backend: config.backend,
  threads: config.threads ?? null,
  model: config.model,
  parameters: parameterCount,
  batch: config.batch,
  steps: config.steps,
  stepSeconds,
  losses,
  baselineRssMB: baseline.rssKB / 1024,
  afterBuildRssMB: afterBuild.rssKB / 1024,
  endRssMB: end.rssKB / 1024,
  peakRssMB: usage.maxRSS / 1024,
  vmHwmMB: end.hwmKB / 1024,
  ...(config.probe ? { probes } : {}),
}));
