import { blockOutputs, ckaMatrix, residualRatios, weightDrift } from '../analysis/representations.js';
import { fixedBatches, pick, secondsSince, writeResults, type AnalysisContext } from './analysis-common.js';
import { trainedTwin, twinData, twinSettings } from './analysis-models.js';

/**
 * How slowly representations change (Veit et al. 2016 §6; Greff et al. 2017; Kornblith et al. 2019):
 * ‖F(x)‖/‖x‖ and ‖y − x‖/‖x‖ per block, linear CKA between all block outputs, and the relative
 * weight drift ‖W_t − W_0‖/‖W_0‖ of every layer, for the trained residual net and its plain twin.
 */
export async function runRepresentations(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = twinSettings(context);
  const data = twinData(context);
  const count = pick(context.mode, 128, 500);
  const x = fixedBatches(data.test.take(count), data.stats, count)[0]!.x;
  const models = [];
  for (const skip of ['identity', 'none'] as const) {
    const family = skip === 'none' ? 'plain' : 'residual';
    const { model, initial } = await trainedTwin(context, skip);
    context.progress(`representations: ${family} net`);
    const ratios = residualRatios(model, x);
    const outputs = blockOutputs(model, x);
    const cka = ckaMatrix(outputs, count);
    const initialWeights = new Map(Object.entries(initial).filter(([, v]) => v.dtype === 'float32').map(([k, v]) => [k, v.f32]));
    const drift = weightDrift(initialWeights, model);
    models.push({ family, blocks: outputs.map((o) => o.block), ratios, cka, drift });
  }
  return writeResults(context, 'representations', 'How much each block changes its input, how similar the block outputs are (linear CKA), and how far weights move in training.',
    { model: 'resnet_cifar', epochs: s.epochs, trainSubset: s.trainCount }, { depth: s.depth, images: count, seconds: secondsSince(started), models });
}
