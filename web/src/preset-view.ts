/**
 * The guided experiments in the page: the list to pick one from, the panel that states the
 * claim, and — once every run has reported — the verdict and the preset's own figures (lesion
 * accuracies, loss slices, feature-reuse heat maps, gate means, segmentation overlap).
 */
import { drawHeatmap, drawLineChart, type Series } from './charts.js';
import { byId } from './dom.js';
import type { Preset } from './presets.js';
import type { RunState } from './run-state.js';
import type { RunResults } from './run-results.js';
import { overall, type Check, type Outcome } from './verdict.js';

const SVG = 'http://www.w3.org/2000/svg';

/** One button per preset; `choose` runs when one is picked (by click or keyboard). */
export function fillPresetList(list: HTMLElement, presets: Preset[], choose: (id: string) => void): void {
  list.replaceChildren(...presets.map((preset) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'preset-button';
    button.dataset.preset = preset.id;
    button.textContent = preset.title;
    button.addEventListener('click', () => choose(preset.id));
    item.append(button);
    return item;
  }));
}

export function markActivePreset(list: HTMLElement, id: string | null): void {
  for (const button of list.querySelectorAll<HTMLButtonElement>('button.preset-button')) {
    const active = button.dataset.preset === id;
    button.classList.toggle('active', active);
    button.setAttribute('aria-pressed', String(active));
  }
}

export function showPresetText(preset: Preset): void {
  byId('preset-title').textContent = preset.title;
  byId('preset-claim').textContent = preset.claim;
  byId('preset-finding').textContent = preset.finding;
  byId('preset-expect').textContent = preset.expect;
}

const OUTCOME_WORDS: Record<Outcome, string> = { supported: 'Supported', contradicted: 'Contradicted', inconclusive: 'Inconclusive' };

/** The verdict box: the overall outcome, then each check's claim, outcome and measured sentence. */
export function showVerdict(box: HTMLElement, checks: Check[] | null, progress: string): void {
  box.replaceChildren();
  if (!checks) {
    const waiting = document.createElement('p');
    waiting.className = 'verdict-waiting';
    waiting.textContent = progress;
    box.append(waiting);
    return;
  }
  const outcome = overall(checks);
  const head = document.createElement('p');
  head.className = `verdict-head outcome-${outcome}`;
  head.dataset.outcome = outcome;
  head.textContent = `Verdict: ${OUTCOME_WORDS[outcome]}`;
  box.append(head);
  const list = document.createElement('ul');
  list.className = 'checks';
  for (const c of checks) {
    const item = document.createElement('li');
    item.dataset.outcome = c.outcome;
    const badge = document.createElement('span');
    badge.className = `badge outcome-${c.outcome}`;
    badge.textContent = OUTCOME_WORDS[c.outcome];
    const claim = document.createElement('strong');
    claim.textContent = ` ${c.claim}`;
    const measured = document.createElement('span');
    measured.className = 'measured';
    measured.textContent = c.measured;
    item.append(badge, claim, document.createElement('br'), measured);
    list.append(item);
  }
  box.append(list);
}

function figure(container: HTMLElement, caption: string): SVGSVGElement {
  const fig = document.createElement('figure');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', caption);
  const text = document.createElement('figcaption');
  text.textContent = caption;
  fig.append(svg, text);
  container.append(fig);
  return svg;
}

const seriesOf = (run: RunState, points: [number, number][], label = run.label): Series => ({ label, color: run.color, dashed: run.dashed, points });

/** The preset's own figures, drawn from the runs' results. */
export function showPresetFigures(container: HTMLElement, preset: Preset, runs: RunState[]): void {
  container.replaceChildren();
  const done = runs.filter((r): r is RunState & { results: RunResults } => r.results !== null);
  if (done.length !== runs.length) return;
  switch (preset.measure) {
    case 'gradients': {
      const svg = figure(container, 'Per training step, log10 of the first hidden layer\'s RMS gradient over the last one\'s: 0 means the gradient arrives at the first layer undiminished, −6 a millionfold smaller.');
      const ratios = done.flatMap((r) => r.results.gradientLogRatios!);
      drawLineChart(svg, done.map((r) => seriesOf(r, r.results.gradientLogRatios!.map((v, i) => [i + 1, v]))),
        { title: 'Gradient at the first layer ÷ at the last (log10)', xLabel: 'step', yMin: Math.floor(Math.min(0, ...ratios)) - 0.5, yMax: Math.ceil(Math.max(0, ...ratios)) + 0.5 });
      break;
    }
    case 'lesion': {
      const blocks = done[0]!.results.lesion!.blocks;
      const svg = figure(container, 'Test accuracy with each single block deleted, one point per block; the flat lines are the intact nets.');
      drawLineChart(svg, done.flatMap((r) => [
        seriesOf(r, r.results.lesion!.accuracies.map((a, i) => [i, a])),
        { ...seriesOf(r, blocks.map((_, i) => [i, r.results.lesion!.baselineAccuracy]), `${r.label} intact`), dashed: true },
      ]), { title: 'Accuracy after deleting one block', xLabel: 'deleted block', yMin: 0, yMax: 1, xTicks: blocks, legend: done.map((r) => seriesOf(r, [])) });
      break;
    }
    case 'landscape': {
      const svg = figure(container, 'Held-out loss along eight filter-normalised random directions through each trained net (log scale).');
      drawLineChart(svg, done.flatMap((r) => r.results.landscape!.losses.map((losses) => seriesOf(r, losses.map((l, i) => [r.results.landscape!.alphas[i]!, l])))),
        { title: 'Loss along θ + α·d', xLabel: 'α', logY: true, legend: done.map((r) => seriesOf(r, [])) });
      break;
    }
    case 'feature-reuse': {
      for (const map of done[0]!.results.featureReuse!.maps) {
        const svg = figure(container, `${map.block}: mean |weight| of each layer (rows, the last row is the next layer after the block) on each earlier layer's maps (columns, 0 = the block's input), each row scaled to its largest value.`);
        drawHeatmap(svg, map.normalized, { title: map.block.replace(/^features\./, ''), rowLabel: 'layer', columnLabel: 'source layer' });
      }
      break;
    }
    case 'gates': {
      const gates = done[0]!.results.gates!;
      const svg = figure(container, 'Mean transform gate T(x) per highway layer on the held-out images: at initialisation (dashed) and after training.');
      const run = done[0]!;
      drawLineChart(svg, [
        { ...seriesOf(run, gates.initial.meanGate.map((g, i) => [i + 1, g]), 'at initialisation'), dashed: true },
        seriesOf(run, gates.trained.meanGate.map((g, i) => [i + 1, g]), 'trained'),
      ], { title: 'Transform gate per layer', xLabel: 'highway layer', yMin: 0 });
      break;
    }
    case 'segmentation': {
      const svg = figure(container, 'Foreground IoU of each test canvas, sorted, with and without the long skips.');
      drawLineChart(svg, done.map((r) => seriesOf(r, [...r.results.segmentation!.iou].sort((a, b) => a - b).map((v, i) => [i, v]))),
        { title: 'IoU per test canvas (sorted)', xLabel: 'canvas (sorted by IoU)', yMin: 0, yMax: 1 });
      break;
    }
    default:
      break;
  }
}
