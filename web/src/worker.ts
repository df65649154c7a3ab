/**
 * One training run in a Web Worker, so the page never freezes: skiplab's autograd, models and
 * optimiser on the wasm backend — on several threads when the page is cross-origin isolated —
 * or the TypeScript backend when WebAssembly SIMD is missing. The page sends commands
 * (protocol.ts); the worker trains in short slices between them, reports progress and
 * evaluations, and for a preset measures what the preset asks once training is done. A worker
 * whose first message is 'speed' times training steps at several thread counts instead.
 */
import { withLesions } from '../../src/analysis/lesion.js';
import { filterNormalizedDirection, linspace, lossLandscape1d } from '../../src/analysis/landscape.js';
import type { Backend } from '../../src/backend/backend.js';
import { setBackend } from '../../src/backend/select.js';
import { initWasmBackend } from '../../src/backend/wasm/index.js';
import { addStatistics, parallelReading, type PoolStatistics } from '../../src/backend/wasm/pool-statistics.js';
import type { ThreadPool } from '../../src/backend/wasm/threads.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors-codec.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { decodeLabAsset, type LabDataset } from './asset.js';
import { canUseThreads, createBrowserThreadedBackend } from './browser-threads.js';
import { batchLoss, LabRun } from './lab-run.js';
import { shapeKeepingBlocks } from './measurements.js';
import { describeModel } from './lab-model.js';
import { matrixProductProbe, productGflops } from './matrix-probe.js';
import type { AssetUrls, FromWorker, SpeedResult, ToWorker } from './protocol.js';
import { ResultRecorder } from './result-recorder.js';
import type { MeasureKind } from './run-results.js';
import { checkSettings, type LabSettings } from './settings.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;
const post = (message: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);
const here = (path: string): URL => new URL(path, scope.location.href);

/** Evaluate on the test images every this many steps. */
const EVAL_EVERY = 50;
/** Matrix products timed per thread count and round of the speed test (about 10 ms each on one core). */
const PRODUCTS_PER_ROUND = 6;
/** Train for about this long before yielding to messages and reporting. */
const SLICE_MS = 120;
const WEB_MODEL_KEY = 'skiplab.web_model';

let data: LabDataset;
let backendName = 'ts';
let threadsUsed = 1;
let measure: MeasureKind | null = null;
let run: LabRun;
let recorder: ResultRecorder;
let running = false;
/** Commands that arrive while the data and kernels are still loading wait here. */
let initialised: Promise<void> | null = null;

/** The wasm backend on `threads` threads when the page allows it, else on one, else TypeScript. */
async function chooseBackend(urls: AssetUrls, threads: number): Promise<{ backend: Backend | 'ts'; threads: number }> {
  if (threads > 1 && canUseThreads()) {
    try {
      return { backend: (await createBrowserThreadedBackend(here(urls.threadedKernels), threads)).backend, threads };
    } catch (error) {
      post({ type: 'error', message: `wasm threads unavailable, training on one thread: ${(error as Error).message}` });
    }
  }
  try {
    return { backend: await initWasmBackend(here(urls.kernels)), threads: 1 };
  } catch (error) {
    // Every current browser has WebAssembly SIMD; the reference backend keeps the lab usable anyway.
    post({ type: 'error', message: `WebAssembly SIMD backend unavailable, training on the TypeScript backend: ${(error as Error).message}` });
    return { backend: 'ts', threads: 1 };
  }
}

async function loadData(url: string): Promise<LabDataset> {
  const response = await fetch(here(url));
  if (!response.ok) throw new Error(`fetching ${url} failed with HTTP ${response.status}; run \`npm run build:web\``);
  return decodeLabAsset(new Uint8Array(await response.arrayBuffer()), url);
}

function buildRun(next: LabSettings): void {
  run = new LabRun(checkSettings(next, 'lab worker'), data);
  recorder = new ResultRecorder(run, measure);
  recorder.begin();
  // Only shape-keeping blocks may be deleted, as in the lesion preset (Veit et al. 2016 §4).
  post({ type: 'ready', backend: backendName, threads: threadsUsed, model: describeModel(run.model, run.settings, shapeKeepingBlocks(run)), settings: run.settings });
}

function postEvaluation(): void {
  const { loss, accuracy } = run.evaluate();
  post({ type: 'evaluation', step: run.step, testLoss: loss, testAccuracy: accuracy });
}

function setRunning(next: boolean): void {
  if (running === next) return;
  running = next;
  post({ type: 'running', running, step: run.step });
  if (running) setTimeout(slice, 0);
}

/** Train for one time slice, then report and let queued messages run. */
function slice(): void {
  if (!running) return;
  const { maxSteps } = run.settings;
  const started = performance.now();
  let loss = 0;
  let correct = 0;
  let seen = 0;
  let steps = 0;
  let evaluated = false;
  while (performance.now() - started < SLICE_MS && !(maxSteps > 0 && run.step >= maxSteps)) {
    const result = run.trainStep();
    recorder.afterStep(result.loss);
    loss += result.loss;
    correct += result.correct;
    seen += result.count;
    steps++;
    if (!Number.isFinite(result.loss)) {
      post({ type: 'error', message: `training diverged at step ${run.step} (loss ${result.loss}); lower the learning rate and reset` });
      setRunning(false);
      return;
    }
    if (run.step % EVAL_EVERY === 0 || run.step === maxSteps) {
      evaluated = true;
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (steps > 0) {
    post({ type: 'progress', step: run.step, epoch: run.epoch, trainLoss: loss / steps, trainAccuracy: correct / seen, stepsPerSecond: steps / seconds, gradientNorms: run.gradientNorms() });
  }
  if (evaluated) postEvaluation();
  if (maxSteps > 0 && run.step >= maxSteps) {
    setRunning(false);
    // Every finished run reports its results, measured or not: a preset judges them all (the
    // degradation preset measures nothing beyond the losses and waits for them all the same).
    if (measure) post({ type: 'measuring' });
    // Let the page draw the last progress before the (seconds-long) measurement.
    setTimeout(() => post({ type: 'results', results: recorder.finish() }), 0);
  } else {
    setTimeout(slice, 0);
  }
}

function lesion(block: string): void {
  const baseline = run.evaluate().accuracy;
  const lesioned = withLesions(run.model, [block], () => run.evaluate().accuracy);
  post({ type: 'lesion', block, baselineAccuracy: baseline, lesionedAccuracy: lesioned });
}

function landscape(points: number, range: number): void {
  // Li et al. 2018 §4: a filter-normalised random direction, loss along θ + α·d.
  const direction = filterNormalizedDirection(run.model, new Rng(run.settings.seed + 1));
  const curve = lossLandscape1d(run.model, direction, run.evalBatches, linspace(-range, range, points), (output, batch) => batchLoss(output, batch.y));
  post({ type: 'landscape', alphas: curve.map((p) => p.alpha), losses: curve.map((p) => p.loss) });
}

function exportModel(): void {
  const bytes = encodeSafetensors(run.model.stateDict(), { [WEB_MODEL_KEY]: JSON.stringify({ ...run.settings, step: run.step }), format: 'pt' });
  const copy = bytes.slice().buffer;
  const name = `${describeModel(run.model, run.settings, []).title.replace(/\W+/g, '-').toLowerCase()}-step${run.step}.safetensors`;
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
  if (saved) {
    const { step: _step, ...settings } = JSON.parse(saved) as LabSettings & { step?: number };
    buildRun(checkSettings({ ...run.settings, ...settings }, `${fileName} metadata`));
  }
  const isCheckpoint = Object.keys(contents.tensors).some((k) => k.startsWith('model.'));
  const state: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(contents.tensors)) {
    if (!isCheckpoint) state[name] = t;
    else if (name.startsWith('model.')) state[name.slice('model.'.length)] = t;
  }
  run.model.loadStateDict(state, { strict: true, source: fileName });
  post({ type: 'imported', fileName, tensors: Object.keys(state).length, testAccuracy: run.evaluate().accuracy });
}

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const chosen = await chooseBackend(message.urls, message.threads);
  setBackend(chosen.backend);
  backendName = chosen.backend === 'ts' ? 'ts' : 'wasm';
  threadsUsed = chosen.threads;
  measure = message.measure;
  data = await loadData(message.urls.data);
  buildRun(message.settings);
  postEvaluation();
}

/**
 * Steps per second of the settings' model at each thread count, alternating the counts over
 * `rounds` rounds (a slow spell of a shared machine then weighs on every count alike), each
 * timing whole training steps for about `seconds` after two warm-up steps. Reports the median
 * step's rate and the fastest step's (the least disturbed by other work on the machine), and
 * after each stretch of steps times a few large matrix products on the same backend: the
 * machine's own reference for what more threads can give at that moment.
 */
async function speed(message: Extract<ToWorker, { type: 'speed' }>): Promise<SpeedResult> {
  const settings = checkSettings(message.settings, 'speed test');
  data = await loadData(message.urls.data);
  const sides: { backend: Backend; pool: ThreadPool | null; stepSeconds: number[]; productSeconds: number[]; pooled: PoolStatistics | null; pooledMs: number }[] = [];
  const product = matrixProductProbe();
  for (const threads of message.threads) {
    const { backend, pool } = threads === 1
      ? { backend: await initWasmBackend(here(message.urls.kernels)), pool: null }
      : await createBrowserThreadedBackend(here(message.urls.threadedKernels), threads);
    product(backend); // untimed: the first call may grow the arena
    sides.push({ backend, pool, stepSeconds: [], productSeconds: [], pooled: null, pooledMs: 0 });
  }
  for (let round = 0; round < message.rounds; round++) {
    for (const side of sides) {
      setBackend(side.backend);
      const timed = new LabRun(settings, data, 1);
      timed.trainStep();
      timed.trainStep();
      side.pool?.resetStatistics();
      const started = performance.now();
      for (let steps = 0; performance.now() - started < message.seconds * 1000 || steps < 3; steps++) {
        const t0 = performance.now();
        timed.trainStep();
        side.stepSeconds.push((performance.now() - t0) / 1000);
      }
      if (side.pool) {
        const stretch = side.pool.statistics();
        side.pooled = side.pooled ? addStatistics(side.pooled, stretch) : stretch;
        side.pooledMs += performance.now() - started;
      }
      for (let i = 0; i < PRODUCTS_PER_ROUND; i++) side.productSeconds.push(product(side.backend));
    }
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return {
    title: describeModel(new LabRun(settings, data, 1).model, settings, []).title, threads: message.threads,
    median: sides.map((s) => 1 / median(s.stepSeconds)), best: sides.map((s) => 1 / Math.min(...s.stepSeconds)),
    parallel: sides.map((s) => (s.pooled ? parallelReading(s.pooled, s.pooledMs) : null)),
    matrixGflops: sides.map((s) => productGflops(median(s.productSeconds))),
  };
}

function handle(message: ToWorker): void | Promise<void> {
  switch (message.type) {
    case 'init':
    case 'speed':
      throw new Error(`lab worker: '${message.type}' must be the first message`);
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

const report = (error: unknown): void => post({ type: 'error', message: (error as Error).message ?? String(error) });

scope.onmessage = (event) => {
  try {
    const message = event.data;
    if (message.type === 'speed') {
      initialised = speed(message).then((result) => post({ type: 'speed', result }));
      initialised.catch(report);
      return;
    }
    if (message.type === 'init' && !initialised) {
      initialised = init(message);
      initialised.catch(report);
      return;
    }
    const pending = initialised ? initialised.then(() => handle(message)) : handle(message);
    if (pending) pending.catch(report);
  } catch (error) {
    report(error);
  }
};
