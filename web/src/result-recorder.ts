/**
 * Collects what a preset needs from one run while it trains and once it is done: the loss of
 * every step, the per-step gradient ratio, the measurements taken before training (the
 * initialisation baselines) and after. The worker and Node drive it the same way:
 * `begin()`, `afterStep(loss)` for each step, then `finish()`.
 */
import { denseCutTest } from './feature-cut.js';
import type { LabRun } from './lab-run.js';
import { featureReuseMaps, gateMeans, hiddenGradientRms, landscapeSlices, lesionSweep, segmentationOverlap, type GateMeans } from './measurements.js';
import type { MeasureKind, RunResults } from './run-results.js';

/**
 * Slices: eight filter-normalised directions, 11 points on α ∈ [−1, 1] (Li et al. plot the same
 * range), each on 250 held-out images — more directions rather than more images per point, as
 * the verdict's interval is over directions.
 */
export const SLICE_DIRECTIONS = 8;
export const SLICE_POINTS = 11;
export const SLICE_IMAGES = 250;

export class ResultRecorder {
  private readonly losses: number[] = [];
  private readonly ratios: number[] = [];
  private initialGates: GateMeans | null = null;
  private initialCutChange = 0;

  constructor(readonly run: LabRun, readonly measure: MeasureKind | null) {}

  /** Measurements of the untrained model that a check compares against. */
  begin(): void {
    // Only a gated net has gates; its plain twin is measured by its loss alone.
    if (this.measure === 'gates' && this.run.settings.skip === 'gated') this.initialGates = gateMeans(this.run);
    if (this.measure === 'feature-reuse') {
      const { correct, correctCut } = denseCutTest(this.run);
      this.initialCutChange = (sum(correctCut) - sum(correct)) / correct.length;
    }
  }

  afterStep(loss: number): void {
    this.losses.push(loss);
    if (this.measure === 'gradients') {
      const { rms } = hiddenGradientRms(this.run);
      this.ratios.push(Math.log10(rms[0]! / rms[rms.length - 1]!));
    }
  }

  finish(): RunResults {
    const evaluation = this.run.evaluate();
    const results: RunResults = { trainLosses: [...this.losses], testAccuracy: evaluation.accuracy, testLoss: evaluation.loss };
    switch (this.measure) {
      case 'gradients':
        results.gradientLogRatios = [...this.ratios];
        break;
      case 'lesion':
        results.lesion = lesionSweep(this.run);
        break;
      case 'landscape':
        results.landscape = landscapeSlices(this.run, SLICE_DIRECTIONS, SLICE_POINTS, 1, SLICE_IMAGES);
        break;
      case 'feature-reuse':
        results.featureReuse = { maps: featureReuseMaps(this.run), ...denseCutTest(this.run), initialCutChange: this.initialCutChange };
        break;
      case 'gates':
        if (this.initialGates) results.gates = { initial: this.initialGates, trained: gateMeans(this.run) };
        break;
      case 'segmentation':
        results.segmentation = segmentationOverlap(this.run);
        break;
      case null:
        break;
    }
    return results;
  }
}

const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);
