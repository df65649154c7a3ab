import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { HESSIAN_LANCZOS_STEPS, hessianEigenRatio } from '../analysis/hessian.js';
import { filterNormalizedDirection, linspace, lossLandscape1d, lossLandscape2d } from '../analysis/landscape.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, pick, secondsSince, writeResults, type AnalysisContext } from './analysis-common.js';
import { trainedTwin, twinData, twinSettings } from './analysis-models.js';

/**
 * Li et al. 2018 §4-6 on the trained twins: 1-D and 2-D training-loss surfaces along
 * filter-normalised random directions (BN parameters and biases excluded) and the Hessian's
 * |λ_min/λ_max| at the minimum.
 */
export async function runLandscape(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = twinSettings(context);
  const data = twinData(context);
  const images = pick(context.mode, 128, 2500);
  const batches = fixedBatches(data.train.take(images), data.stats, 128);
  const alphas = linspace(-1, 1, pick(context.mode, 11, 41));
  const grid = linspace(-1, 1, pick(context.mode, 7, 31));
  const models = [];
  for (const skip of ['identity', 'none'] as const) {
    const family = skip === 'none' ? 'plain' : 'residual';
    const { model } = await trainedTwin(context, skip);
    // The same seeds for both twins: the directions differ only through the weights' filter norms.
    const d1 = filterNormalizedDirection(model, new Rng(context.seed + 11));
    const d2 = filterNormalizedDirection(model, new Rng(context.seed + 12));
    context.progress(`landscape: ${family} net, 1-D and 2-D surfaces`);
    const line = lossLandscape1d(model, d1, batches, alphas);
    const surface = lossLandscape2d(model, d1, d2, batches, grid, grid);
    context.progress(`landscape: ${family} net, Hessian eigenvalues`);
    // The Hessian of the mean loss over the first batch (the landscape's own data in quick mode).
    const probe = batches[0]!;
    const hessian = hessianEigenRatio(model, () => crossEntropy(model.forward(probe.x), probe.y), { rng: new Rng(context.seed + 13), iterations: pick(context.mode, HESSIAN_LANCZOS_STEPS.quick, HESSIAN_LANCZOS_STEPS.full) });
    models.push({ family, line, surface, hessian });
  }
  return writeResults(context, 'landscape', 'Li et al. 2018: filter-normalised loss surfaces and Hessian eigenvalue ratio, residual vs plain at the same depth.',
    { model: 'resnet_cifar', epochs: s.epochs, trainSubset: s.trainCount }, { depth: s.depth, images, seconds: secondsSince(started), models });
}
