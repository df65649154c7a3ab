import { lesionableBlocks, lesionEachBlock, lesionRandomBlocks } from '../analysis/lesion.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, pick, secondsSince, writeResults, type AnalysisContext } from './analysis-common.js';
import { trainedTwin, twinData, twinSettings } from './analysis-models.js';

/**
 * Veit et al. 2016 §4 (Fig. 3 and 5a): delete single blocks at test time, then k random blocks,
 * in the trained residual net and its plain twin. Random deletions draw from the blocks both
 * twins can lose (shape-keeping ones), so the comparison is like for like.
 */
export async function runLesion(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = twinSettings(context);
  const data = twinData(context);
  const batches = fixedBatches(data.test, data.stats, 128);
  const twins = { identity: (await trainedTwin(context, 'identity')).model, none: (await trainedTwin(context, 'none')).model };
  // The plain twin can lose only its shape-keeping blocks; the residual one can lose any.
  const shared = lesionableBlocks(twins.none, batches[0]!.x);
  const results = [];
  for (const skip of ['identity', 'none'] as const) {
    const model = twins[skip];
    context.progress(`lesion: ${skip === 'none' ? 'plain' : 'residual'} net, deleting blocks one at a time`);
    const single = lesionEachBlock(model, batches);
    const random = lesionRandomBlocks(model, batches, { rng: new Rng(context.seed + 3), trials: pick(context.mode, 2, 10), blocks: shared });
    results.push({ family: skip === 'none' ? 'plain' : 'residual', baseline: single.baseline, single: single.lesions, random: random.results, candidates: random.candidates });
  }
  return writeResults(context, 'lesion', 'Veit et al. 2016: deleting blocks at test time — residual nets degrade smoothly, plain nets collapse.',
    { model: 'resnet_cifar', epochs: s.epochs, trainSubset: s.trainCount }, { depth: s.depth, testImages: data.test.count, seconds: secondsSince(started), models: results });
}
