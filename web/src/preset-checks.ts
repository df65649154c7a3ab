/**
 * The presets' checks: pure functions from runs' results to a check (claim, effect with its 95 %
 * interval, smallest effect that counts, outcome). Each effect is oriented so that positive means
 * "as the claim says", and each sentence is built from the numbers.
 */
import type { RunResults } from './run-results.js';
import { check, formatInterval, meanInterval, pairedDifference, undecided, type Check } from './verdict.js';

/** Batches at the end of training whose losses are compared. */
const LOSS_WINDOW = 100;

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;

/** `better` ends training at a lower loss than `worse`: paired over the last batches (the same batches for both). */
export function lowerTrainingLoss(claim: string, better: RunResults, worse: RunResults, betterLabel: string, worseLabel: string, minimumEffect = 0.1): Check {
  const window = Math.min(LOSS_WINDOW, better.trainLosses.length, worse.trainLosses.length);
  if (window < 2) throw new Error(`lowerTrainingLoss: ${window} training steps to compare`);
  const b = better.trainLosses.slice(-window);
  const w = worse.trainLosses.slice(-window);
  const effect = pairedDifference(w, b);
  return check(claim, effect, minimumEffect,
    `Training loss over the last ${window} batches: ${betterLabel} ${mean(b).toFixed(3)}, ${worseLabel} ${mean(w).toFixed(3)}; ` +
    `${worseLabel} − ${betterLabel} = ${formatInterval(effect, 3)} (95 % interval over batches; counts from ${minimumEffect}).`);
}

/**
 * `flatter` keeps its gradient from the last hidden layer to the first: the per-step
 * log10(first / last RMS gradient) is higher than `steeper`'s by at least a decade.
 */
export function flatterGradients(claim: string, flatter: RunResults, steeper: RunResults, flatterLabel: string, steeperLabel: string): Check {
  const f = flatter.gradientLogRatios ?? [];
  const s = steeper.gradientLogRatios ?? [];
  const steps = Math.min(f.length, s.length);
  if (steps < 2) throw new Error('flatterGradients: the runs recorded no gradient ratios');
  const effect = pairedDifference(f.slice(0, steps), s.slice(0, steps));
  return check(claim, effect, 1,
    `log10(first ÷ last hidden layer's gradient), mean of ${steps} steps: ${flatterLabel} ${mean(f.slice(0, steps)).toFixed(2)}, ${steeperLabel} ${mean(s.slice(0, steps)).toFixed(2)} ` +
    `(0 = no loss on the way back, −3 = a thousandfold); difference ${formatInterval(effect, 2)} decades (counts from 1).`);
}

/**
 * Veit et al.'s lesion: per deleted block, the share of the above-chance accuracy a net keeps,
 * (lesioned − chance) / (intact − chance), so nets of different accuracy compare; residual
 * minus plain, paired by block.
 */
export function lesionRobustness(residual: RunResults, plain: RunResults, chance = 0.1): Check {
  const r = residual.lesion;
  const p = plain.lesion;
  if (!r || !p) throw new Error('lesionRobustness: a run has no lesion results');
  const blocks = r.blocks.filter((b) => p.blocks.includes(b));
  if (blocks.length < 2) throw new Error(`lesionRobustness: ${blocks.length} blocks deleted in both nets`);
  const kept = (sweep: typeof r, block: string): number => (sweep.accuracies[sweep.blocks.indexOf(block)]! - chance) / (sweep.baselineAccuracy - chance);
  const rk = blocks.map((b) => kept(r, b));
  const pk = blocks.map((b) => kept(p, b));
  const effect = pairedDifference(rk, pk);
  const lesioned = (sweep: typeof r): number => mean(blocks.map((b) => sweep.accuracies[sweep.blocks.indexOf(b)]!));
  return check('Veit et al.: deleting one non-downsampling block hurts the residual net much less than its plain twin.', effect, 0.2,
    `Test accuracy with one of ${blocks.length} blocks deleted, mean: residual ${pct(lesioned(r))} (intact ${pct(r.baselineAccuracy)}), plain ${pct(lesioned(p))} (intact ${pct(p.baselineAccuracy)}). ` +
    `Share of the above-chance accuracy kept, residual − plain: ${formatInterval(effect, 2)} (95 % interval over blocks; counts from 0.2).`);
}

/**
 * How rough one slice is: walking out from the trained weights (α = 0) to either end, the loss
 * should only rise; every step where it falls instead adds log10(before / after). 0 for a slice
 * that rises monotonically on both sides.
 */
export function sliceRoughness(alphas: readonly number[], losses: readonly number[]): number {
  const center = alphas.reduce((best, a, i) => (Math.abs(a) < Math.abs(alphas[best]!) ? i : best), 0);
  let rough = 0;
  for (let i = center + 1; i < losses.length; i++) rough += Math.max(0, Math.log10(losses[i - 1]! / losses[i]!));
  for (let i = center - 1; i >= 0; i--) rough += Math.max(0, Math.log10(losses[i + 1]! / losses[i]!));
  return rough;
}

/**
 * How far one slice is from convex: of the curvature along it (second differences of the loss
 * over evenly spaced α), the share that bends downwards, Σ max(0, −Δ²) / Σ |Δ²|. 0 for a convex
 * slice, 1 for a concave one. A one-dimensional counterpart of the ratio of negative to
 * positive Hessian curvature, |λmin / λmax|, that Li et al. 2018 map to test whether the
 * surfaces they plot are really convex (§6, "Are we really seeing convexity?").
 */
export function sliceNonConvexity(alphas: readonly number[], losses: readonly number[]): number {
  if (alphas.length !== losses.length || losses.length < 3) throw new Error(`sliceNonConvexity: ${losses.length} losses at ${alphas.length} points (3 or more each needed)`);
  let down = 0;
  let total = 0;
  for (let i = 1; i + 1 < losses.length; i++) {
    const bend = losses[i - 1]! - 2 * losses[i]! + losses[i + 1]!;
    down += Math.max(0, -bend);
    total += Math.abs(bend);
  }
  return total > 0 ? down / total : 0;
}

/**
 * Li et al. 2018 Fig. 5: the depth from which the plain net's surface turns chaotic while the
 * ResNet's stays smooth; at depth 20 both are smooth, so a shallower pair cannot decide the claim.
 */
export const LANDSCAPE_CLAIM_DEPTH = 56;

/** Li et al.'s landscape: plain slices are rougher than residual ones, paired by direction; decided only at `LANDSCAPE_CLAIM_DEPTH` or deeper. */
export function smootherSlices(residual: RunResults, plain: RunResults, depth: number): Check {
  const r = residual.landscape;
  const p = plain.landscape;
  if (!r || !p) throw new Error('smootherSlices: a run has no landscape slices');
  const rr = r.losses.map((l) => sliceRoughness(r.alphas, l));
  const pr = p.losses.map((l) => sliceRoughness(p.alphas, l));
  const effect = pairedDifference(pr, rr);
  const measured = check('Li et al.: without skips the loss surface is rougher (non-convex) around the trained weights.', effect, 0.03,
    `Roughness of each slice (decades the loss falls while it should rise, walking out from the trained weights): residual ${rr.map((v) => v.toFixed(3)).join(', ')}; plain ${pr.map((v) => v.toFixed(3)).join(', ')}. ` +
    `Plain − residual ${formatInterval(effect, 3)} (95 % interval over ${pr.length} directions; counts from 0.03).`);
  return depth >= LANDSCAPE_CLAIM_DEPTH ? measured
    : undecided(measured, `Li et al. find ResNet-20 and plain-20 both smooth and the difference from depth ${LANDSCAPE_CLAIM_DEPTH} on, so nets of depth ${depth} cannot show it`);
}

/** Huang et al.'s reuse: cutting the long dense connections costs the trained net accuracy. */
export function featureReuse(dense: RunResults): Check {
  const f = dense.featureReuse;
  if (!f) throw new Error('featureReuse: the run has no feature-reuse results');
  const effect = pairedDifference(f.correct, f.correctCut);
  return check('Huang et al.: the deep layers of a trained dense block use the early layers\' features directly.', effect, 0.05,
    `Test accuracy ${pct(mean(f.correct))} with every connection, ${pct(mean(f.correctCut))} with the long ones cut: a loss of ${formatInterval(effect, 1, 100)} points ` +
    `(95 % interval over ${f.correct.length} test images; counts from 5). The same cut at initialisation: ${(100 * f.initialCutChange).toFixed(1)} points.`);
}

/** Srivastava et al.'s gates: training moves each layer's mean transform gate away from where it started. */
export function gatesLearned(highway: RunResults): Check {
  const g = highway.gates;
  if (!g) throw new Error('gatesLearned: the run has no gate measurements');
  const moved = g.trained.meanGate.map((v, i) => Math.abs(v - g.initial.meanGate[i]!));
  const effect = meanInterval(moved);
  const range = (v: number[]): string => `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`;
  return check('Srivastava et al.: the gates learn how much each layer transforms and how much it carries.', effect, 0.02,
    `Mean transform gate T(x) per layer: ${range(g.initial.meanGate)} at initialisation, ${range(g.trained.meanGate)} after training; ` +
    `change per layer ${formatInterval(effect, 3)} (95 % interval over ${moved.length} layers; counts from 0.02).`);
}

/** Ronneberger et al.'s long skips: better overlap with the true shapes, and better boundaries. */
export function segmentation(skips: RunResults, plain: RunResults): Check[] {
  const s = skips.segmentation;
  const p = plain.segmentation;
  if (!s || !p) throw new Error('segmentation: a run has no segmentation results');
  const iou = pairedDifference(s.iou, p.iou);
  const boundary = pairedDifference(s.boundaryAccuracy, p.boundaryAccuracy);
  return [
    check('Ronneberger et al.: with its long skips the U-Net segments the digits more precisely.', iou, 0.05,
      `Foreground IoU per test canvas, mean: with long skips ${mean(s.iou).toFixed(3)}, without ${mean(p.iou).toFixed(3)}; difference ${formatInterval(iou, 3)} (95 % interval over ${s.iou.length} canvases; counts from 0.05).`),
    check('The gain is in the spatial detail: boundary pixels are classified better.', boundary, 0.03,
      `Accuracy on boundary pixels, mean per canvas: with long skips ${pct(mean(s.boundaryAccuracy))}, without ${pct(mean(p.boundaryAccuracy))}; difference ${formatInterval(boundary, 1, 100)} points (counts from 3).`),
  ];
}
