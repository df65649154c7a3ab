import { resolve } from 'node:path';
import type { AnalysisContext, AnalysisMode } from './analysis-common.js';
import { runFeatureReuse } from './feature-reuse.js';
import { runGradientFlow } from './gradient-flow.js';
import { runHighwayGates } from './highway-gates.js';
import { runIdentityConstruction } from './identity-construction.js';
import { runLandscape } from './landscape.js';
import { runLesion } from './lesion.js';
import { runPaths } from './paths.js';
import { runRepresentations } from './representations.js';
import { runTransformerResidual } from './transformer-residual.js';
import { runUnetSkips } from './unet-skips.js';

/** The analysis experiments, in the order the report shows them. */
export const ANALYSIS_EXPERIMENTS = [
  'gradient-flow', 'paths', 'lesion', 'landscape', 'representations',
  'feature-reuse', 'highway-gates', 'unet-skips', 'transformer-residual', 'identity-construction',
] as const;

export type AnalysisExperimentName = (typeof ANALYSIS_EXPERIMENTS)[number];

const drivers: Record<AnalysisExperimentName, (context: AnalysisContext) => Promise<string>> = {
  'gradient-flow': runGradientFlow,
  paths: runPaths,
  lesion: runLesion,
  landscape: runLandscape,
  representations: runRepresentations,
  'feature-reuse': runFeatureReuse,
  'highway-gates': runHighwayGates,
  'unet-skips': runUnetSkips,
  'transformer-residual': runTransformerResidual,
  'identity-construction': runIdentityConstruction,
};

export interface AnalysisRunOptions {
  mode: AnalysisMode;
  /** Run-store root (e.g. "runs"); results go to `<store>/<name>-<mode>/results.json`. */
  store: string;
  onProgress?: (message: string) => void;
  dataset?: 'fashion-mnist' | 'mnist' | 'cifar10';
  /** CIFAR-10 binary batches folder (needed for dataset cifar10). */
  dataDir?: string;
  seed?: number;
}

export function isAnalysisExperiment(name: string): name is AnalysisExperimentName {
  return (ANALYSIS_EXPERIMENTS as readonly string[]).includes(name);
}

/**
 * Run one analysis experiment end to end and write its `experiment.json` and `results.json`
 * (kind = the experiment's name) into the store; returns the experiment folder.
 *
 * @example const dir = await runAnalysisExperiment('lesion', { mode: 'quick', store: 'runs' });
 */
export async function runAnalysisExperiment(name: string, options: AnalysisRunOptions): Promise<string> {
  if (!isAnalysisExperiment(name)) throw new Error(`unknown analysis experiment '${name}' (known: ${ANALYSIS_EXPERIMENTS.join(', ')})`);
  const driver = drivers[name];
  const dataset = options.dataset ?? (options.dataDir ? 'cifar10' : 'fashion-mnist');
  if (dataset === 'cifar10' && !options.dataDir) throw new Error(`${name}: CIFAR-10 needs --data-dir, the folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin`);
  const context: AnalysisContext = {
    mode: options.mode, root: resolve(options.store), dataset, dataDir: options.dataDir, seed: options.seed ?? 0,
    progress: options.onProgress ?? (() => {}),
  };
  return driver(context);
}
