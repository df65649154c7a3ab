/**
 * The lab page: picks a session (a guided preset or free settings, from the URL or the
 * controls), runs one Web Worker per run, draws what the workers report and, for a preset,
 * turns the runs' results into the verdict. No training happens on this thread.
 */
import { decadeRange, drawGradientBars, drawLineChart, type Series } from './charts.js';
import { drawDiagram } from './diagram.js';
import { byId } from './dom.js';
import { ensureCrossOriginIsolation, threadsPerRun, type Isolation } from './isolation.js';
import { readFreeSettings, writeFreeSettings, wireFreeControls } from './free-controls.js';
import { fillPresetList, markActivePreset, showPresetFigures, showPresetText, showVerdict } from './preset-view.js';
import { PRESET_IDS, presetById, type Preset } from './presets.js';
import type { FromWorker, SpeedResult } from './protocol.js';
import { assetUrls, send, startRun, type RunSpec, type RunState } from './run-state.js';
import { sessionFromQuery, sessionToQuery, type LabSession, type LabSettings } from './settings.js';
import type { Check } from './verdict.js';


const page = {
  start: byId<HTMLButtonElement>('start'),
  reset: byId<HTMLButtonElement>('reset'),
  copyLink: byId<HTMLButtonElement>('copy-link'),
  seed: byId<HTMLInputElement>('seed'),
  landscape: byId<HTMLButtonElement>('landscape'),
  status: byId<HTMLParagraphElement>('status'),
  notice: byId<HTMLParagraphElement>('notice'),
  threads: byId<HTMLParagraphElement>('threads'),
  speed: byId<HTMLButtonElement>('speed'),
  speedResult: byId<HTMLOutputElement>('speed-result'),
  presetList: byId<HTMLElement>('preset-list'),
  presetPanel: byId<HTMLElement>('preset-panel'),
  landscapePanel: byId<HTMLElement>('landscape-panel'),
  verdict: byId<HTMLElement>('verdict'),
  figures: byId<HTMLElement>('preset-figures'),
  freeLab: byId<HTMLDetailsElement>('free-lab'),
};

interface LabState {
  runs: RunState[];
  errors: string[];
  session: LabSession | null;
  preset: Preset | null;
  checks: Check[] | null;
  isolation: Isolation | null;
  speed: SpeedResult | null;
}
const lab: LabState = { runs: [], errors: [], session: null, preset: null, checks: null, isolation: null, speed: null };
(window as unknown as { skiplabLab: LabState }).skiplabLab = lab;

/** The live line (backend, speed); rewritten on every frame. */
function setStatus(text: string): void {
  page.status.textContent = text;
}

/** Results of actions and problems; stays until the next one (announced to screen readers). */
function setNotice(text: string, problem = false): void {
  page.notice.textContent = text;
  page.notice.classList.toggle('problem', problem);
}

function reportError(message: string): void {
  lab.errors.push(message);
  setNotice(`Problem: ${message}`, true);
}

function sessionSeed(session: LabSession): number {
  return session.kind === 'preset' ? session.seed : session.settings.seed;
}

/** The runs a session trains: the preset's, or the free settings (and their plain twin). */
function runSpecs(session: LabSession): RunSpec[] {
  if (session.kind === 'preset') return presetById(session.preset, session.seed).runs;
  const specs: RunSpec[] = [{ label: 'main', settings: session.settings }];
  if (session.twin && session.settings.skip !== 'none') specs.push({ label: 'plain twin', settings: { ...session.settings, skip: 'none' } });
  return specs;
}

/** Replace the runs by a new session's, untrained; the URL follows so a copied link reproduces it. */
function openSession(session: LabSession): void {
  for (const run of lab.runs) run.worker.terminate();
  lab.runs = [];
  lab.errors.length = 0;
  lab.checks = null;
  lab.session = session;
  lab.preset = session.kind === 'preset' ? presetById(session.preset, session.seed) : null;
  setNotice('');
  history.replaceState(null, '', `${location.pathname}${sessionToQuery(session)}`);
  page.seed.value = String(sessionSeed(session));
  markActivePreset(page.presetList, lab.preset?.id ?? null);
  page.presetPanel.hidden = lab.preset === null;
  // A preset draws its own measurements; the free lab's single slice would only be an empty chart.
  page.landscapePanel.hidden = lab.preset !== null;
  if (lab.preset) showPresetText(lab.preset);
  else writeFreeSettings(session.kind === 'free' ? session.settings : null, session.kind === 'free' && session.twin);
  page.figures.replaceChildren();
  byId('runs').replaceChildren();
  const specs = runSpecs(session);
  const threads = lab.isolation ? threadsPerRun(lab.isolation, specs.length) : 1;
  const template = byId<HTMLTemplateElement>('run-template');
  specs.forEach((spec, index) => {
    const card = (template.content.firstElementChild as HTMLElement).cloneNode(true) as HTMLElement;
    card.dataset.run = String(index);
    byId('runs').append(card);
    const run = startRun(spec, specs.slice(0, index), card, threads, lab.preset?.measure ?? null, receive);
    wireRunCard(run, index);
    lab.runs.push(run);
  });
  setStatus('Building the models…');
  scheduleRender();
}

function wireRunCard(run: RunState, index: number): void {
  const query = <T extends Element>(selector: string): T => run.card.querySelector(selector) as T;
  query<HTMLSelectElement>('.lesion-block').id = `lesion-block-${index}`;
  query<HTMLSelectElement>('.lesion-block').setAttribute('aria-label', `Block of ${run.label} to delete`);
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
}

function receive(run: RunState, message: FromWorker): void {
  switch (message.type) {
    case 'ready':
      fillLesionChoices(run);
      break;
    case 'results':
      if (lab.preset && lab.runs.every((r) => r.results)) {
        try {
          lab.checks = lab.preset.judge(lab.runs.map((r) => r.results!));
        } catch (error) {
          reportError(`verdict: ${(error as Error).message}`);
        }
        showPresetFigures(page.figures, lab.preset, lab.runs);
      }
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
    default:
      break;
  }
  scheduleRender();
}

function fillLesionChoices(run: RunState): void {
  const select = run.card.querySelector('.lesion-block') as HTMLSelectElement;
  const blocks = run.model?.lesionable ?? [];
  select.replaceChildren(...blocks.map((b) => new Option(b, b)));
  // A net without skip blocks (the MLP) has nothing to delete: no lesion controls.
  (run.card.querySelector('.lesion') as HTMLElement).hidden = blocks.length === 0;
  // The list holds shape-keeping blocks only (Veit et al. 2016 §4 leave downsampling ones out); take the second.
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
const label = (run: RunState): string => (lab.preset ? run.label : run.model?.title ?? run.label);

function render(): void {
  const runs = lab.runs;
  const loss: Series[] = runs.flatMap((run) => [
    { label: `${label(run)} train`, color: run.color, dashed: run.dashed, points: run.train },
    { label: `${label(run)} test`, color: run.color, dashed: run.dashed, points: run.test },
  ]);
  const legend = runs.map((run) => ({ label: label(run), color: run.color, dashed: run.dashed }));
  drawLineChart(byId('loss-chart') as unknown as SVGSVGElement, loss, { title: 'Loss', xLabel: 'step', legend });
  byId('loss-chart').querySelectorAll('path.series').forEach((p, i) => p.setAttribute('stroke-width', i % 2 === 0 ? '1.2' : '2.6'));
  const segmentation = runs[0]?.settings.dataset === 'digit-segmentation';
  byId('accuracy-caption').textContent = segmentation ? 'Pixel accuracy on the held-out canvases' : 'Test accuracy on 500 held-out images';
  drawLineChart(byId('accuracy-chart') as unknown as SVGSVGElement,
    runs.map((run) => ({ label: label(run), color: run.color, dashed: run.dashed, points: run.accuracy })),
    { title: segmentation ? 'Pixel accuracy' : 'Test accuracy', xLabel: 'step', yMin: 0, yMax: 1 });
  const range = decadeRange(runs.flatMap((r) => r.gradientNorms));
  for (const run of runs) renderRun(run, range);
  drawLineChart(byId('landscape-chart') as unknown as SVGSVGElement,
    runs.map((run) => ({ label: label(run), color: run.color, dashed: run.dashed, points: run.landscape ? run.landscape.alphas.map((a, i) => [a, run.landscape!.losses[i]!] as [number, number]) : [] })),
    { title: 'Loss along one direction', xLabel: 'α', logY: runs.some((r) => r.landscape) });
  const anyRunning = runs.some((r) => r.running);
  const allReady = runs.length > 0 && runs.every((r) => r.ready);
  const finished = runs.length > 0 && runs.every((r) => r.settings.maxSteps > 0 && r.step >= r.settings.maxSteps);
  page.start.textContent = anyRunning ? 'Pause' : finished ? 'Finished' : runs.some((r) => r.step > 0) ? 'Resume' : lab.preset ? 'Run the experiment' : 'Start';
  page.start.disabled = !allReady || (finished && !anyRunning);
  page.reset.disabled = !allReady;
  page.landscape.disabled = !allReady || anyRunning;
  if (allReady) {
    const speeds = runs.map((r) => `${label(r)}: ${r.stepsPerSecond.toFixed(1)} steps/s`).join(' · ');
    setStatus(`${anyRunning ? 'Training' : 'Ready'} on the ${runs[0]!.backend} backend${runs.some((r) => r.step > 0) ? ` — ${speeds}` : '.'}`);
  }
  if (lab.preset) {
    const steps = runs.reduce((s, r) => s + Math.min(r.step, r.settings.maxSteps), 0);
    const total = runs.reduce((s, r) => s + r.settings.maxSteps, 0);
    const measuring = runs.some((r) => r.measuring);
    showVerdict(page.verdict, lab.checks, measuring ? 'Training done; measuring…' : steps > 0 ? `Training: ${steps} of ${total} steps…` : 'Press “Run the experiment” to train the runs and compute the verdict.');
  }
}

function renderRun(run: RunState, range: [number, number]): void {
  const q = <T extends Element>(selector: string): T => run.card.querySelector(selector) as T;
  if (!run.model) return;
  q('.run-title').textContent = lab.preset ? `${run.label}` : run.model.title;
  q('.run-meta').textContent = `${run.model.parameters.toLocaleString('en')} parameters · ${run.backend}${run.threads > 1 ? ` × ${run.threads} threads` : ''}`;
  q('.accuracy-name').textContent = run.settings.dataset === 'digit-segmentation' ? 'pixel accuracy' : 'test accuracy';
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
  q<HTMLOutputElement>('.lesion-result').textContent = run.lesion
    ? `Without ${run.lesion.block}: ${percent(run.lesion.lesionedAccuracy)} (was ${percent(run.lesion.baselineAccuracy)}, ${(100 * (run.lesion.lesionedAccuracy - run.lesion.baselineAccuracy)).toFixed(1)} points)`
    : '';
}

function readSeed(): number {
  const seed = Number(page.seed.value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2147483647) throw new Error(`Seed must be a whole number from 0 to 2147483647, got '${page.seed.value}'`);
  return seed;
}

/** The current session again, with the seed field's value (untrained runs only). */
function reopen(): void {
  if (!lab.session) return;
  try {
    const seed = readSeed();
    openSession(lab.session.kind === 'preset' ? { ...lab.session, seed } : { ...lab.session, settings: { ...lab.session.settings, seed } });
  } catch (error) {
    reportError((error as Error).message);
  }
}

function openFree(settings: LabSettings, twin: boolean): void {
  openSession({ kind: 'free', settings, twin });
}

function measureSpeed(): void {
  const isolation = lab.isolation;
  const cores = navigator.hardwareConcurrency || 1;
  if (!isolation?.isolated || cores < 2) {
    setNotice(isolation && !isolation.isolated ? `Only one thread is available here: ${isolation.reason}.` : 'This machine reports a single core.');
    return;
  }
  const settings = lab.runs[0]?.settings;
  if (!settings) return;
  page.speed.disabled = true;
  page.speedResult.textContent = `Timing ${cores === 2 ? '1 and 2 threads' : `1 and ${cores} threads`}…`;
  const worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    if (message.type === 'speed') {
      lab.speed = message.result;
      const [one, all] = message.result.median;
      const [bestOne, bestAll] = message.result.best;
      const reading = message.result.parallel[1];
      // The pool's ratios stay meaningful when other programs share the cores (threads.ts, parallelReading).
      const pool = reading ? ` The threads' own counters: ${(100 * reading.serialFraction).toFixed(0)} % of the work is serial, so at most ×${reading.amdahlBound.toFixed(2)}; the other threads ran ${(100 * reading.workerTaskShare).toFixed(0)} % of the parallel tasks.` : '';
      const [productOne, productAll] = message.result.matrixGflops;
      const machine = ` For reference, a large matrix product alone: ${productOne!.toFixed(1)} GFLOP/s on 1 thread, ${productAll!.toFixed(1)} on ${message.result.threads[1]} (×${(productAll! / productOne!).toFixed(2)}): what more threads give this machine's best-splitting kernel right now.`;
      page.speedResult.textContent = `${message.result.title}: ${one!.toFixed(1)} steps/s on 1 thread, ${all!.toFixed(1)} on ${message.result.threads[1]} (×${(all! / one!).toFixed(2)}; fastest steps ×${(bestAll! / bestOne!).toFixed(2)}).${pool}${machine}`;
    } else if (message.type === 'error') {
      reportError(message.message);
    }
    if (message.type === 'speed' || message.type === 'error') {
      worker.terminate();
      page.speed.disabled = false;
    }
  };
  worker.postMessage({ type: 'speed', settings: { ...settings, maxSteps: 0 }, threads: [1, cores], rounds: 3, seconds: 2, urls: assetUrls(settings) });
}

async function copyLink(): Promise<void> {
  try {
    await navigator.clipboard.writeText(location.href);
    setNotice('Link copied: it opens this experiment with the same settings and seed.');
  } catch {
    // No clipboard permission (an insecure context, or a browser that asks): show it to copy by hand.
    window.prompt('Copy this link:', location.href);
  }
}

function describeIsolation(isolation: Isolation): void {
  const cores = navigator.hardwareConcurrency || 1;
  page.threads.textContent = isolation.isolated
    ? `Cross-origin isolated: the wasm backend may use all ${cores} cores (threads are shared out between the runs).`
    : `One thread per run: ${isolation.reason}.`;
  page.threads.classList.toggle('problem', !isolation.isolated);
}

async function boot(): Promise<void> {
  const isolation = await ensureCrossOriginIsolation();
  if (!isolation) return; // reloading through the service worker
  lab.isolation = isolation;
  describeIsolation(isolation);
  fillPresetList(page.presetList, PRESET_IDS.map((id) => presetById(id)), (id) => {
    try {
      openSession({ kind: 'preset', preset: id, seed: readSeed() });
      byId('stage').focus();
    } catch (error) {
      reportError((error as Error).message);
    }
  });
  wireFreeControls(() => {
    // A changed setting rebuilds untrained free runs at once; trained ones wait for Reset.
    if (lab.session?.kind !== 'free') return;
    if (lab.runs.some((r) => r.running || r.step > 0)) setNotice('Settings changed: press Reset to apply them (this discards the trained models).');
    else applyFree();
  });
  byId('apply').addEventListener('click', applyFree);
  page.start.addEventListener('click', () => {
    if (!lab.runs.every((r) => r.ready)) return;
    const anyRunning = lab.runs.some((r) => r.running);
    for (const run of lab.runs) send(run, { type: anyRunning ? 'pause' : 'start' });
  });
  page.reset.addEventListener('click', () => (lab.session?.kind === 'free' ? applyFree() : reopen()));
  page.seed.addEventListener('change', () => {
    if (lab.runs.some((r) => r.step > 0)) setNotice('Seed changed: press Reset to start over with it.');
    else reopen();
  });
  page.copyLink.addEventListener('click', () => void copyLink());
  page.speed.addEventListener('click', measureSpeed);
  page.landscape.addEventListener('click', () => {
    for (const run of lab.runs) send(run, { type: 'landscape', points: 21, range: 1 });
  });
  let session: LabSession | null = null;
  let linkError: string | null = null;
  try {
    session = sessionFromQuery(location.search, PRESET_IDS);
  } catch (error) {
    linkError = (error as Error).message;
  }
  openSession(session ?? { kind: 'preset', preset: PRESET_IDS[0]!, seed: 1 });
  // After opening: a new session clears the notice.
  if (linkError) reportError(`${linkError}; opened the first guided experiment instead.`);
  if (session?.kind === 'free') page.freeLab.open = true;
}

function applyFree(): void {
  try {
    const { settings, twin } = readFreeSettings(readSeed());
    openFree(settings, twin);
  } catch (error) {
    reportError((error as Error).message);
  }
}

void boot().catch((error: unknown) => reportError((error as Error).message));
