/**
 * One fresh process of the `memory` section of `npm run bench` (bench/memory-suite.ts): builds a
 * CIFAR ResNet (He et al. 2016 §4.2, option A shortcuts) from the registry and runs a few training
 * steps (forward, cross-entropy, backward, SGD with momentum 0.9) on random 3×32×32 input, then
 * prints one JSON line with the process's resident memory: the baseline right after the imports
 * and the backend choice, and the peak (getrusage's maxRSS, the kernel's high-water mark).
 *
 *   node --import tsx bench/memory-child.ts '{"backend":"native","threads":2,"model":"resnet56","batch":128,"steps":3}'
 *
 * With "probe": true it also records where the memory is: the bytes of every distinct activation
 * the tape reaches from the loss at the end of forward, and — by wrapping each node's backward —
 * the largest resident set and ArrayBuffer total seen while backward runs.
 * Experiments for finding where the memory goes (bench/README.md shows what they found):
 * - "gc": true (with node --expose-gc) collects garbage between steps;
 * - "gcEvery": k (with --expose-gc) collects garbage after every k-th node's backward, i.e. as if
 *   the garbage collector kept up with the tape;
 * - "scoped": true drops each step's loss (and so its tape) as soon as the step is over, where by
 *   default the loop holds it until the next step's forward is done, as src/train/trainer.ts does;
 * - "recycle": true runs each step inside `recycleTensors` (src/tensor/recycling-scope.ts), as
 *   src/train/trainer.ts does, so the step's activations go back to the pool when it ends.
 * (The "release" and "lean" emulations of an older tensor-linking tape are gone with that tape.)
 */
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { setBackend } from '../src/backend/select.js';
import { configureNative, loadNativeBackend } from '../src/backend/native/index.js';
import { typescriptBackend } from '../src/backend/ts/index.js';
import { createModel } from '../src/models/registry.js';
import { SGD } from '../src/optim/sgd.js';
import { recycleTensors } from '../src/tensor/recycling-scope.js';
import { Rng } from '../src/tensor/rng.js';
import { intTensor, randn, Tensor } from '../src/tensor/tensor.js';
import { readProcStatus } from './memory-status.js';

interface ChildConfig {
  backend: 'native' | 'ts'; threads?: number; model: string; batch: number; steps: number;
  probe?: boolean; gc?: boolean; gcEvery?: number; scoped?: boolean; recycle?: boolean;
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

/**
 * The tape as this file sees it. Written against the shape both tape designs share — a node has
 * a name, inputs and a backward closure — because the inputs are tensors in one design and, in
 * the other (PyTorch-like, the graph links nodes), the producing nodes with only leaves as tensors.
 */
interface NodeLike { readonly name: string; readonly inputs: readonly unknown[]; backward: ((gradOutput: Tensor, gradOutputIsFree?: boolean) => readonly (Tensor | null)[]) | null }
const nodeOf = (t: Tensor): NodeLike | null => t.gradFn as unknown as NodeLike | null;

/** Everything the tape reaches from `root`: nodes and tensors. */
function walkGraph(root: Tensor): { nodes: NodeLike[]; tensors: Tensor[] } {
  const seen = new Set<unknown>();
  const nodes: NodeLike[] = [];
  const tensors: Tensor[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const item = stack.pop();
    if (seen.has(item)) continue;
    seen.add(item);
    if (item instanceof Tensor) {
      tensors.push(item);
      const node = nodeOf(item);
      if (node) stack.push(node);
      continue;
    }
    const node = item as NodeLike;
    nodes.push(node);
    for (const input of node.inputs) stack.push(input);
  }
  return { nodes, tensors };
}

interface Probe { graphNodes: number; graphActivationMB: number; activationMBByOp: Record<string, number>; afterForward: Sample; backwardPeak: Sample; afterBackward: Sample; afterStep: Sample }
interface Sample { rssMB: number; arrayBuffersMB: number; heapUsedMB: number }
const sample = (): Sample => {
  const m = process.memoryUsage();
  return { rssMB: m.rss / MB, arrayBuffersMB: m.arrayBuffers / MB, heapUsedMB: m.heapUsed / MB };
};

/**
 * Where the memory is at the end of forward: the activations the tape itself reaches from the
 * loss (what backward closures saved is not visible here; the ArrayBuffer total covers it).
 */
function probeGraph(loss: Tensor): Probe {
  const { nodes, tensors } = walkGraph(loss);
  // Activations: tensors made by ops (not parameters, not the input), counted once per buffer.
  const buffers = new Set<ArrayBufferLike>();
  const byOp: Record<string, number> = {};
  for (const t of tensors) {
    const node = nodeOf(t);
    if (!node || buffers.has(t.data.buffer)) continue;
    buffers.add(t.data.buffer);
    byOp[node.name] = (byOp[node.name] ?? 0) + t.data.buffer.byteLength / MB;
  }
  const activationBytes = [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
  // With gcEvery, the sample counts live buffers only (no garbage from forward).
  if (config.gcEvery && gc) gc();
  const now = sample();
  return { graphNodes: nodes.length, graphActivationMB: activationBytes / MB, activationMBByOp: byOp, afterForward: now, backwardPeak: now, afterBackward: now, afterStep: now };
}

/**
 * Wraps every node's backward: afterwards it samples memory (probe) and collects garbage (gcEvery).
 */
function instrument(loss: Tensor, probe: Probe | null): void {
  let calls = 0;
  const { nodes } = walkGraph(loss);
  for (const node of nodes) {
    const backward = node.backward;
    if (!backward) continue;
    node.backward = (gradOutput, gradOutputIsFree) => {
      const inputGrads = backward(gradOutput, gradOutputIsFree);
      if (config.gcEvery && gc && ++calls % config.gcEvery === 0) gc();
      if (probe) {
        const s = sample();
        if (s.rssMB > probe.backwardPeak.rssMB) probe.backwardPeak = s;
      }
      return inputGrads;
    };
  }
}

const probes: Probe[] = [];
const losses: number[] = [];
const stepSeconds: number[] = [];

/** One training step; returns the loss, whose tape still reaches every activation. */
function trainStep(): Tensor {
  const start = performance.now();
  const loss = crossEntropy(model.forward(x), labels);
  const probe = config.probe ? probeGraph(loss) : null;
  if (config.probe || config.gcEvery) instrument(loss, probe);
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
  if (config.recycle) recycleTensors(() => void trainStep());
  else if (config.scoped) trainStep();
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
