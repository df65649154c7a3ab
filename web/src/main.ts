/**
 * The lab page: reads the controls, runs one Web Worker per run (the model, and its plain twin
 * when comparing), and draws what the workers report. No training happens on this thread.
 */
import { decadeRange, drawGradientBars, drawLineChart, type Series } from './charts.js';
import { drawDiagram } from './diagram.js';
import { ARCHITECTURES } from './architectures.js';
import type { Architecture, FromWorker, LabSettings, ModelDescription, ToWorker } from './protocol.js';

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`lab page: element #${id} is missing`);
  return node as T;
};

/** What the page knows about one run; also readable by automation as `window.skiplabLab`. */
interface RunState {
  key: 'main' | 'twin';
  color: string;
  worker: Worker;
  ready: boolean;
  running: boolean;
  settings: LabSettings | null;
  backend: string;
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
  card: HTMLElement;
}

const runs: RunState[] = [];
const errors: string[] = [];
(window as unknown as { skiplabLab: unknown }).skiplabLab = { runs, errors };

const controls = {
  dataset: byId<HTMLSelectElement>('dataset'),
  architecture: byId<HTMLSelectElement>('architecture'),
  depth: byId<HTMLSelectElement>('depth'),
  width: byId<HTMLInputElement>('width'),
  widthLabel: byId<HTMLLabelElement>('width-label'),
  skip: byId<HTMLInputElement>('skip'),
  compare: byId<HTMLInputElement>('compare'),
  optimizer: byId<HTMLSelectElement>('optimizer'),
  learningRate: byId<HTMLInputElement>('learning-rate'),
  batchSize: byId<HTMLInputElement>('batch-size'),
  seed: byId<HTMLInputElement>('seed'),
  maxSteps: byId<HTMLInputElement>('max-steps'),
  start: byId<HTMLButtonElement>('start'),
  reset: byId<HTMLButtonElement>('reset'),
  landscape: byId<HTMLButtonElement>('landscape'),
  status: byId<HTMLParagraphElement>('status'),
  notice: byId<HTMLParagraphElement>('notice'),
};

const DEFAULT_WIDTH: Record<Architecture, number> = { mlp: 64, convnet: 8, resnet: 8, highway: 32, densenet: 6 };
const DEFAULT_DEPTH: Partial<Record<Architecture, number>> = { resnet: 14, highway: 10, densenet: 10 };

function fillArchitectures(): void {
  for (const [value, info] of Object.entries(ARCHITECTURES)) controls.architecture.append(new Option(info.label, value));
  controls.architecture.value = 'resnet';
  architectureChanged();
}

function architectureChanged(): void {
  const arch = controls.architecture.value as Architecture;
  const info = ARCHITECTURES[arch];
  controls.depth.replaceChildren(...(info.depths.length ? info.depths : [0]).map((d) => new Option(d ? String(d) : 'fixed', String(d))));
  controls.depth.value = String(DEFAULT_DEPTH[arch] ?? info.depths[0] ?? 0);
  controls.depth.disabled = info.depths.length === 0;
  controls.width.value = String(DEFAULT_WIDTH[arch]);
  controls.widthLabel.textContent = `Width (${info.widthLabel})`;
  controls.skip.disabled = !info.hasSkips;
  controls.compare.disabled = !info.hasSkips;
}

function numberFrom(input: HTMLInputElement, name: string, integer: boolean): number {
  const value = Number(input.value);
  const min = Number(input.min);
  const max = input.max ? Number(input.max) : Infinity;
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min}${Number.isFinite(max) ? ` to ${max}` : ''}, got '${input.value}'`);
  }
  return value;
}

function readSettings(): LabSettings {
  const architecture = controls.architecture.value as Architecture;
  return {
    dataset: controls.dataset.value as LabSettings['dataset'],
    architecture,
    depth: Number(controls.depth.value),
    width: numberFrom(controls.width, 'Width', true),
    skip: ARCHITECTURES[architecture].hasSkips ? controls.skip.checked : false,
    optimizer: controls.optimizer.value === 'sgd' ? 'sgd' : 'adam',
    learningRate: numberFrom(controls.learningRate, 'Learning rate', false),
    batchSize: numberFrom(controls.batchSize, 'Batch size', true),
    seed: numberFrom(controls.seed, 'Seed', true),
    maxSteps: numberFrom(controls.maxSteps, 'Stop after steps', true),
  };
}

function send(run: RunState, message: ToWorker, transfer: Transferable[] = []): void {
  run.worker.postMessage(message, transfer);
}

/** The live line (backend, speed); rewritten on every frame. */
function setStatus(text: string): void {
  controls.status.textContent = text;
}

/** Results of actions and problems; stays until the next one (announced to screen readers). */
function setNotice(text: string, problem = false): void {
  controls.notice.textContent = text;
  controls.notice.classList.toggle('problem', problem);
}

function createRun(key: RunState['key'], settings: LabSettings): RunState {
  const template = byId<HTMLTemplateElement>('run-template');
  const card = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
  card.dataset.run = key;
  byId('runs').append(card);
  const run: RunState = {
    key, color: key === 'main' ? '#1b7f5f' : '#c0392b', worker: new Worker('worker.js', { type: 'module' }),
    ready: false, running: false, settings: null, backend: '', model: null, train: [], test: [], accuracy: [],
    gradientNorms: [], gradientUpdates: 0, stepsPerSecond: 0, step: 0, lesion: null, landscape: null, card,
  };
  run.worker.onmessage = (event: MessageEvent<FromWorker>) => receive(run, event.data);
  run.worker.onerror = (event) => reportError(`worker (${key}): ${event.message}`);
  const query = <T extends Element>(selector: string): T => card.querySelector(selector) as T;
  query<HTMLSelectElement>('.lesion-block').id = `lesion-block-${key}`;
  query<HTMLButtonElement>('.lesion-button').addEventListener('click', () => {
    const block = query<HTMLSelectElement>('.lesion-block').value;
    if (block) send(run, { type: 'lesion', block });
  });
  query<HTMLButtonElement>('.export-button').addEventListener('click', () => send(run, { type: 'export' }));
  query<HTMLInputElement>('.import-input').addEventListener('change', async (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (!file) return;
    const bytes = await file.arrayBuffer();
    send(run, { type: 'import', bytes, fileName: file.name }, [bytes]);
  });
  send(run, { type: 'init', settings, dataUrl: `data/${settings.dataset}.bin`, kernelsUrl: 'kernels.wasm' });
  runs.push(run);
  return run;
}

function twinSettings(settings: LabSettings): LabSettings {
  return { ...settings, skip: !settings.skip };
}

function reportError(message: string): void {
  errors.push(message);
  setNotice(`Problem: ${message}`, true);
}

function receive(run: RunState, message: FromWorker): void {
  switch (message.type) {
    case 'ready':
      Object.assign(run, { ready: true, backend: message.backend, model: message.model, settings: message.settings, train: [], test: [], accuracy: [], gradientNorms: [], step: 0, lesion: null, landscape: null });
      fillLesionChoices(run);
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
    case 'lesion':
      run.lesion = { block: message.block, baselineAccuracy: message.baselineAccuracy, lesionedAccuracy: message.lesionedAccuracy };
      break;
    case 'landscape':
      run.landscape = { alphas: message.alphas, losses: message.losses };
      break;
    case 'exported': {
      const link = run.card.querySelector('a.download') as HTMLAnchorElement;
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(new Blob([message.bytes], { type: 'application/octet-stream' }));
      link.download = message.fileName;
      link.textContent = `Save ${message.fileName}`;
      link.hidden = false;
      link.click();
      setNotice(`Exported ${message.fileName} (${(message.bytes.byteLength / 1024).toFixed(0)} KiB).`);
      break;
    }
    case 'imported':
      setNotice(`Imported ${message.tensors} tensors from ${message.fileName}: test accuracy ${(100 * message.testAccuracy).toFixed(1)} %.`);
      break;
    case 'error':
      reportError(message.message);
      break;
  }
  scheduleRender();
}

function fillLesionChoices(run: RunState): void {
  const select = run.card.querySelector('.lesion-block') as HTMLSelectElement;
  const blocks = run.model?.lesionable ?? [];
  select.replaceChildren(...blocks.map((b) => new Option(b, b)));
  select.disabled = blocks.length === 0;
  (run.card.querySelector('.lesion-button') as HTMLButtonElement).disabled = blocks.length === 0;
  if (blocks.length === 0) select.append(new Option('no deletable blocks', ''));
  // Deleting a middle block of the first stage shows the contrast best (Veit et al. 2016 §4).
  if (blocks.length > 0) select.value = blocks[Math.min(1, blocks.length - 1)]!;
}

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

const percent = (v: number): string => `${(100 * v).toFixed(1)} %`;

function render(): void {
  const label = (run: RunState): string => run.model?.title ?? run.key;
  const dashed = (run: RunState): boolean => run.key === 'twin';
  const loss: Series[] = runs.flatMap((run) => [
    { label: `${label(run)} train`, color: run.color, dashed: dashed(run), points: run.train },
    { label: `${label(run)} test`, color: run.color, dashed: dashed(run), points: run.test },
  ]);
  const legend = runs.map((run) => ({ label: label(run), color: run.color, dashed: dashed(run) }));
  drawLineChart(byId('loss-chart') as unknown as SVGSVGElement, loss, { title: 'Loss', xLabel: 'step', legend });
  byId('loss-chart').querySelectorAll('path.series').forEach((p, i) => p.setAttribute('stroke-width', i % 2 === 0 ? '1.2' : '2.6'));
  drawLineChart(byId('accuracy-chart') as unknown as SVGSVGElement,
    runs.map((run) => ({ label: label(run), color: run.color, dashed: dashed(run), points: run.accuracy })),
    { title: 'Test accuracy', xLabel: 'step', yMin: 0, yMax: 1 });
  const range = decadeRange(runs.flatMap((r) => r.gradientNorms));
  for (const run of runs) renderRun(run, range);
  // Drawn empty (axes and legend) until a slice is asked for.
  drawLineChart(byId('landscape-chart') as unknown as SVGSVGElement,
    runs.map((run) => ({ label: label(run), color: run.color, dashed: dashed(run), points: run.landscape ? run.landscape.alphas.map((a, i) => [a, run.landscape!.losses[i]!] as [number, number]) : [] })),
    { title: 'Loss along one direction', xLabel: 'α' });
  const anyRunning = runs.some((r) => r.running);
  const allReady = runs.length > 0 && runs.every((r) => r.ready);
  controls.start.textContent = anyRunning ? 'Pause' : 'Start';
  controls.start.disabled = !allReady;
  controls.reset.disabled = !allReady;
  controls.landscape.disabled = !allReady || anyRunning;
  if (allReady) {
    const speeds = runs.map((r) => `${label(r)}: ${r.stepsPerSecond.toFixed(1)} steps/s`).join(' · ');
    setStatus(`${anyRunning ? 'Training' : 'Ready'} on the ${runs[0]!.backend} backend${runs.some((r) => r.step > 0) ? ` — ${speeds}` : '.'}`);
  }
}

function renderRun(run: RunState, range: [number, number]): void {
  const q = <T extends Element>(selector: string): T => run.card.querySelector(selector) as T;
  if (!run.model) return;
  q('.run-title').textContent = run.model.title;
  q('.run-meta').textContent = `${run.model.parameters.toLocaleString('en')} parameters · ${run.backend}`;
  q('.readout-step').textContent = String(run.step);
  const lastAccuracy = run.accuracy[run.accuracy.length - 1];
  q('.readout-accuracy').textContent = lastAccuracy ? percent(lastAccuracy[1]) : '–';
  const lastLoss = run.train[run.train.length - 1];
  q('.readout-loss').textContent = lastLoss ? lastLoss[1].toFixed(3) : '–';
  q('.readout-speed').textContent = run.stepsPerSecond > 0 ? run.stepsPerSecond.toFixed(1) : '–';
  const diagram = q<SVGSVGElement>('svg.diagram');
  diagram.setAttribute('aria-label', `Network diagram of ${run.model.title}`);
  drawDiagram(diagram, run.model, run.lesion?.block ?? null);
  const bars = q<SVGSVGElement>('svg.gradients');
  bars.setAttribute('aria-label', `Gradient norm per layer of ${run.model.title}, log scale`);
  drawGradientBars(bars, run.model.layers, run.gradientNorms, range, run.color, 'Gradient norm ‖∂L/∂W‖ per layer (log scale)');
  const result = q<HTMLOutputElement>('.lesion-result');
  result.textContent = run.lesion
    ? `Without ${run.lesion.block}: ${percent(run.lesion.lesionedAccuracy)} (was ${percent(run.lesion.baselineAccuracy)}, ${(100 * (run.lesion.lesionedAccuracy - run.lesion.baselineAccuracy)).toFixed(1)} points)`
    : '';
}

function startRuns(): void {
  let settings: LabSettings;
  try {
    settings = readSettings();
  } catch (error) {
    reportError((error as Error).message);
    return;
  }
  errors.length = 0;
  setNotice('');
  for (const run of runs) run.worker.terminate();
  runs.length = 0;
  byId('runs').replaceChildren();
  createRun('main', settings);
  if (controls.compare.checked && ARCHITECTURES[settings.architecture].hasSkips) createRun('twin', twinSettings(settings));
  setStatus('Building the models…');
  scheduleRender();
}

controls.architecture.addEventListener('change', architectureChanged);
controls.optimizer.addEventListener('change', () => {
  controls.learningRate.value = controls.optimizer.value === 'sgd' ? '0.05' : '0.003';
});
// A changed setting rebuilds untrained runs at once; a trained model is kept until Reset.
byId('controls').addEventListener('change', () => {
  if (runs.some((r) => r.running || r.step > 0)) setNotice('Settings changed: press Reset to apply them (this discards the trained models).');
  else startRuns();
});
controls.start.addEventListener('click', () => {
  if (!runs.every((r) => r.ready)) return;
  const anyRunning = runs.some((r) => r.running);
  for (const run of runs) send(run, { type: anyRunning ? 'pause' : 'start' });
});
controls.reset.addEventListener('click', startRuns);
controls.landscape.addEventListener('click', () => {
  for (const run of runs) send(run, { type: 'landscape', points: 21, range: 1 });
});
fillArchitectures();
startRuns();
