/**
 * One training run in a Web Worker, so the page never freezes: skiplab's autograd, models and
 * optimiser on the wasm backend (the TypeScript backend when WebAssembly SIMD is missing). The
 * page sends commands (protocol.ts); the worker trains in short slices between them and reports
 * progress, evaluations, lesions and landscape slices.
 */
import { lesionableBlocks, withLesions } from '../../src/analysis/lesion.js';
import { filterNormalizedDirection, linspace, lossLandscape1d } from '../../src/analysis/landscape.js';
import { l2Norm, weightLayers } from '../../src/analysis/model-parts.js';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { initWasmBackend } from '../../src/backend/wasm/index.js';
import { setBackend } from '../../src/backend/select.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors-codec.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import type { Parameter } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { correctCount } from '../../src/train/metrics.js';
import { batchImages, batchLabels, decodeLabAsset, type LabDataset } from './asset.js';
import { buildLabModel, describeModel } from './lab-model.js';
import type { FromWorker, LabSettings, ToWorker } from './protocol.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);

/** Test images used for the accuracy curve, lesions and the landscape (the same ones each time). */
const EVAL_IMAGES = 500;
/** Evaluate on the test images every this many steps. */
const EVAL_EVERY = 50;
/** Train for about this long before yielding to messages and reporting. */
const SLICE_MS = 120;
const WEB_MODEL_KEY = 'skiplab.web_model';

let data: LabDataset;
let backendName = 'ts';
let settings: LabSettings;
let model: SkipModel;
let optimizer: Optimizer;
let weights: Parameter[];
let orderRng: Rng;
let order: Int32Array = new Int32Array(0);
let cursor = 0;
let step = 0;
let epoch = 0;
let running = false;
let evalBatches: { x: Tensor; y: Tensor }[] = [];
/** Commands that arrive while the data and kernels are still loading wait here. */
let initialised: Promise<void> | null = null;

function shapeOf(count: number): number[] {
  return [count, data.channels, data.height, data.width];
}

function buildRun(next: LabSettings): void {
  settings = next;
  model = buildLabModel(settings, data.channels, data.height, data.classNames.length);
  optimizer = settings.optimizer === 'sgd'
    // He et al. 2015 §3.4: momentum 0.9, weight decay 1e-4.
    ? new SGD(model.parameters(), { lr: settings.learningRate, momentum: 0.9, weightDecay: 1e-4 })
    : new Adam(model.parameters(), { lr: settings.learningRate });
  weights = weightLayers(model).map(([, p]) => p);
  // The same seed orders the batches, so a run and its plain twin see identical data.
  orderRng = new Rng(settings.seed ^ 0x0bad5eed);
  order = new Int32Array(0);
  cursor = 0;
  step = 0;
  epoch = 0;
  const probe = new Tensor(batchImages(data, data.test, [0, 1]), shapeOf(2));
  post({ type: 'ready', backend: backendName, model: describeModel(model, settings, lesionableBlocks(model, probe)), settings });
}

function nextIndices(size: number): Int32Array {
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    if (cursor >= order.length) {
      order = orderRng.permutation(data.train.count);
      cursor = 0;
      if (step > 0) epoch++;
    }
    out[i] = order[cursor++]!;
  }
  return out;
}

/** One SGD step; returns its loss and number of correct predictions. */
function trainStep(): { loss: number; correct: number } {
  const indices = nextIndices(settings.batchSize);
  const x = new Tensor(batchImages(data, data.train, indices), shapeOf(indices.length)); // (N, C, H, W)
  const y = new Tensor(batchLabels(data.train, indices), [indices.length]);
  model.train();
  optimizer.zeroGrad();
  const logits = model.forward(x); // (N, classes)
  const loss = crossEntropy(logits, y);
  loss.backward();
  optimizer.step();
  step++;
  return { loss: loss.item(), correct: correctCount(logits, y) };
}

function evaluate(): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  let count = 0;
  model.eval();
  noGrad(() => {
    for (const b of evalBatches) {
      const logits = model.forward(b.x);
      loss += crossEntropy(logits, b.y).item() * b.y.size;
      correct += correctCount(logits, b.y);
      count += b.y.size;
    }
  });
  return { loss: loss / count, accuracy: correct / count };
}

function postEvaluation(): void {
  const { loss, accuracy } = evaluate();
  post({ type: 'evaluation', step, testLoss: loss, testAccuracy: accuracy });
}

function setRunning(next: boolean): void {
  if (running === next) return;
  running = next;
  post({ type: 'running', running, step });
  if (running) setTimeout(slice, 0);
}

/** Train for one time slice, then report and let queued messages run. */
function slice(): void {
  if (!running) return;
  const started = performance.now();
  let loss = 0;
  let correct = 0;
  let seen = 0;
  let steps = 0;
  let evaluated = false;
  while (performance.now() - started < SLICE_MS) {
    const result = trainStep();
    loss += result.loss;
    correct += result.correct;
    seen += settings.batchSize;
    steps++;
    if (!Number.isFinite(result.loss)) {
      post({ type: 'error', message: `training diverged at step ${step} (loss ${result.loss}); lower the learning rate and reset` });
      setRunning(false);
      return;
    }
    if (step % EVAL_EVERY === 0 || step === settings.maxSteps) {
      evaluated = true;
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  // The gradients of the last step are still in .grad: one bar per weighted layer.
  const gradientNorms = weights.map((p) => (p.grad ? l2Norm(p.grad.f32) : 0));
  post({ type: 'progress', step, epoch, trainLoss: loss / steps, trainAccuracy: correct / seen, stepsPerSecond: steps / seconds, gradientNorms });
  if (evaluated) postEvaluation();
  if (settings.maxSteps > 0 && step >= settings.maxSteps) setRunning(false);
  else setTimeout(slice, 0);
}

function lesion(block: string): void {
  const baseline = evaluate().accuracy;
  const lesioned = withLesions(model, [block], () => evaluate().accuracy);
  post({ type: 'lesion', block, baselineAccuracy: baseline, lesionedAccuracy: lesioned });
}

function landscape(points: number, range: number): void {
  // Li et al. 2018 §4: a filter-normalised random direction, loss along θ + α·d.
  const direction = filterNormalizedDirection(model, new Rng(settings.seed + 1));
  const alphas = linspace(-range, range, points);
  const curve = lossLandscape1d(model, direction, evalBatches, alphas);
  post({ type: 'landscape', alphas: curve.map((p) => p.alpha), losses: curve.map((p) => p.loss) });
}

function exportModel(): void {
  const bytes = encodeSafetensors(model.stateDict(), { [WEB_MODEL_KEY]: JSON.stringify({ ...settings, step }), format: 'pt' });
  const copy = bytes.slice().buffer;
  const name = `${describeModel(model, settings, []).title.replace(/\W+/g, '-').toLowerCase()}-step${step}.safetensors`;
  post({ type: 'exported', bytes: copy, fileName: name }, [copy]);
}

/**
 * Load weights from a safetensors file: one exported by the page (its settings travel in the
 * metadata and rebuild the same model), or a `skiplab train` checkpoint (state dict under
 * `model.`, optimiser buffers under `optimizer.`) for the architecture chosen in the page.
 */
function importModel(bytes: ArrayBuffer, fileName: string): void {
  const contents = decodeSafetensors(new Uint8Array(bytes), fileName);
  const saved = contents.metadata?.[WEB_MODEL_KEY];
  if (saved) buildRun({ ...settings, ...(JSON.parse(saved) as Partial<LabSettings>) });
  const isCheckpoint = Object.keys(contents.tensors).some((k) => k.startsWith('model.'));
  const state: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(contents.tensors)) {
    if (!isCheckpoint) state[name] = t;
    else if (name.startsWith('model.')) state[name.slice('model.'.length)] = t;
  }
  model.loadStateDict(state, { strict: true, source: fileName });
  post({ type: 'imported', fileName, tensors: Object.keys(state).length, testAccuracy: evaluate().accuracy });
}

async function init(first: LabSettings, dataUrl: string, kernelsUrl: string): Promise<void> {
  try {
    await initWasmBackend(new URL(kernelsUrl, self.location.href));
    setBackend('wasm');
    backendName = 'wasm';
  } catch (error) {
    // Every current browser has WebAssembly SIMD; the reference backend keeps the lab usable anyway.
    setBackend('ts');
    post({ type: 'error', message: `WebAssembly SIMD backend unavailable, training on the TypeScript backend: ${(error as Error).message}` });
  }
  const response = await fetch(new URL(dataUrl, self.location.href));
  if (!response.ok) throw new Error(`fetching ${dataUrl} failed with HTTP ${response.status}; run \`npm run build:web\``);
  data = decodeLabAsset(new Uint8Array(await response.arrayBuffer()), dataUrl);
  const evalCount = Math.min(EVAL_IMAGES, data.test.count);
  evalBatches = [];
  for (let start = 0; start < evalCount; start += 250) {
    const indices = Array.from({ length: Math.min(250, evalCount - start) }, (_, i) => start + i);
    evalBatches.push({ x: new Tensor(batchImages(data, data.test, indices), shapeOf(indices.length)), y: new Tensor(batchLabels(data.test, indices), [indices.length]) });
  }
  buildRun(first);
  postEvaluation();
}

function handle(message: ToWorker): void | Promise<void> {
  switch (message.type) {
    case 'init':
      throw new Error('lab worker: init was sent twice');
    case 'start':
      return setRunning(true);
    case 'pause':
      return setRunning(false);
    case 'lesion':
      return lesion(message.block);
    case 'landscape':
      return landscape(message.points, message.range);
    case 'export':
      return exportModel();
    case 'import':
      importModel(message.bytes, message.fileName);
      return postEvaluation();
  }
}

scope.onmessage = (event) => {
  try {
    const message = event.data;
    if (message.type === 'init') initialised = init(message.settings, message.dataUrl, message.kernelsUrl);
    const pending = message.type === 'init' ? initialised : initialised ? initialised.then(() => handle(message)) : handle(message);
    if (pending) pending.catch((error: unknown) => post({ type: 'error', message: (error as Error).message ?? String(error) }));
  } catch (error) {
    post({ type: 'error', message: (error as Error).message ?? String(error) });
  }
};
