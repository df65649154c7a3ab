/**
 * What the page knows about one run — a worker training one model — and how it follows the
 * worker's messages. Also readable by automation as `window.skiplabLab.runs`.
 */
import type { FromWorker, ModelDescription, ToWorker } from './protocol.js';
import type { MeasureKind, RunResults } from './run-results.js';
import type { LabSettings } from './settings.js';

export interface RunState {
  label: string;
  color: string;
  /** Drawn dashed: the plain net of a comparison. */
  dashed: boolean;
  worker: Worker;
  ready: boolean;
  running: boolean;
  measuring: boolean;
  settings: LabSettings;
  backend: string;
  threads: number;
  model: ModelDescription | null;
  train: [number, number][];
  test: [number, number][];
  accuracy: [number, number][];
  gradientNorms: number[];
  gradientUpdates: number;
  stepsPerSecond: number;
  step: number;
  lesion: { block: string; baselineAccuracy: number; lesionedAccuracy: number } | null;
  landscape: { alphas: number[]; losses: number[] } | null;
  results: RunResults | null;
  card: HTMLElement;
}

/** Nets with skips in greens, plain nets in red, blue and purple (and dashed). */
const SKIP_COLORS = ['#1b7f5f', '#0f9d8a'];
const PLAIN_COLORS = ['#c0392b', '#2b6cb0', '#8e44ad'];

export interface RunSpec {
  label: string;
  settings: LabSettings;
}

/** Where the built page keeps the worker's files, relative to the worker script (any sub-path). */
export const assetUrls = (settings: LabSettings): { data: string; kernels: string; threadedKernels: string } => ({
  data: `data/${settings.dataset}.bin`, kernels: 'kernels.wasm', threadedKernels: 'kernels-threads.wasm',
});

/** Start a worker for `spec`; `onMessage` sees every message after the state has taken it in. */
export function startRun(spec: RunSpec, previous: readonly RunSpec[], card: HTMLElement, threads: number, measure: MeasureKind | null, onMessage: (run: RunState, message: FromWorker) => void): RunState {
  const plain = spec.settings.skip === 'none';
  const palette = plain ? PLAIN_COLORS : SKIP_COLORS;
  const run: RunState = {
    label: spec.label, color: palette[previous.filter((p) => (p.settings.skip === 'none') === plain).length % palette.length]!, dashed: plain,
    worker: new Worker('worker.js', { type: 'module' }),
    ready: false, running: false, measuring: false, settings: spec.settings, backend: '', threads: 1, model: null,
    train: [], test: [], accuracy: [], gradientNorms: [], gradientUpdates: 0, stepsPerSecond: 0, step: 0,
    lesion: null, landscape: null, results: null, card,
  };
  run.worker.onmessage = (event: MessageEvent<FromWorker>) => {
    follow(run, event.data);
    onMessage(run, event.data);
  };
  run.worker.onerror = (event) => onMessage(run, { type: 'error', message: `worker (${spec.label}): ${event.message}` });
  send(run, { type: 'init', settings: spec.settings, threads, measure, urls: assetUrls(spec.settings) });
  return run;
}

export function send(run: RunState, message: ToWorker, transfer: Transferable[] = []): void {
  run.worker.postMessage(message, transfer);
}

function follow(run: RunState, message: FromWorker): void {
  switch (message.type) {
    case 'ready':
      Object.assign(run, {
        ready: true, backend: message.backend, threads: message.threads, model: message.model, settings: message.settings,
        train: [], test: [], accuracy: [], gradientNorms: [], step: 0, lesion: null, landscape: null, results: null,
      });
      break;
    case 'progress':
      run.step = message.step;
      run.train.push([message.step, message.trainLoss]);
      run.gradientNorms = message.gradientNorms;
      run.gradientUpdates++;
      run.stepsPerSecond = message.stepsPerSecond;
      break;
    case 'evaluation':
      run.test.push([message.step, message.testLoss]);
      run.accuracy.push([message.step, message.testAccuracy]);
      break;
    case 'running':
      run.running = message.running;
      break;
    case 'measuring':
      run.measuring = true;
      break;
    case 'results':
      run.measuring = false;
      run.results = message.results;
      break;
    case 'lesion':
      run.lesion = { block: message.block, baselineAccuracy: message.baselineAccuracy, lesionedAccuracy: message.lesionedAccuracy };
      break;
    case 'landscape':
      run.landscape = { alphas: message.alphas, losses: message.losses };
      break;
    default:
      break;
  }
}
