import { gradientByPathLength } from '../analysis/paths.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, pick, secondsSince, writeResults, type AnalysisContext } from './analysis-common.js';
import { trainedTwin, twinData, twinSettings } from './analysis-models.js';

/**
 * Veit et al. 2016 §4.2 / Fig. 6 on the trained residual twin: path-length distribution
 * (Binomial(n, 1/2)), gradient magnitude reaching the input per path length (sampled paths), their
 * product, and the range of lengths that carries 90 % of the gradient.
 */
export async function runPaths(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = twinSettings(context);
  const { model, history } = await trainedTwin(context, 'identity');
  const data = twinData(context);
  const batch = fixedBatches(data.test.take(pick(context.mode, 32, 128)), data.stats, pick(context.mode, 32, 128))[0]!;
  context.progress('paths: sampling paths of every length');
  const analysis = gradientByPathLength(model, batch, { rng: new Rng(context.seed + 7), samplesPerLength: pick(context.mode, 3, 10), coverage: 0.9 });
  return writeResults(context, 'paths', "Veit et al. 2016: residual nets as ensembles of paths — path lengths, gradient per length, and the effective paths.",
    { model: 'resnet_cifar', epochs: s.epochs, trainSubset: s.trainCount },
    { depth: s.depth, seconds: secondsSince(started), finalTrainError: history[history.length - 1]?.trainError ?? null, ...analysis, paper: { blocks: 54, effectiveFrom: 5, effectiveTo: 17, model: 'ResNet-110 on CIFAR-10' } });
}
