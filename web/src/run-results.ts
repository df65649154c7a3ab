/**
 * What a finished run reports for a preset's verdict: its per-step training losses and whatever
 * the preset asked it to measure. Plain data (posted from the worker, stored in tests).
 */
import type { FeatureReuseMap, GateMeans, LandscapeSlices, LesionSweep } from './measurements.js';

/** The measurements a preset can ask of each run, beyond the training curve. */
export type MeasureKind = 'gradients' | 'lesion' | 'landscape' | 'feature-reuse' | 'gates' | 'segmentation';

export interface RunResults {
  /** Training loss of every step, in order (the runs of a preset see the same batches). */
  trainLosses: number[];
  testAccuracy: number;
  testLoss: number;
  /** log10 of the first over the last hidden layer's RMS weight gradient, per step. */
  gradientLogRatios?: number[];
  lesion?: LesionSweep;
  landscape?: LandscapeSlices;
  featureReuse?: {
    maps: FeatureReuseMap[];
    /** Per held-out image: correct (1) or not (0) with every dense connection intact, and with the long ones cut. */
    correct: number[];
    correctCut: number[];
    /** The same cut's accuracy change at initialisation, before any training. */
    initialCutChange: number;
  };
  gates?: { trained: GateMeans; initial: GateMeans };
  segmentation?: { iou: number[]; boundaryAccuracy: number[] };
}
