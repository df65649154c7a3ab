import { featureReuse } from '../analysis/feature-reuse.js';
import { fixedBatches, pick, secondsSince, trainModel, writeResults, type AnalysisContext } from './analysis-common.js';
import { smallDenseNet, trainedTwin, twinData, twinSettings } from './analysis-models.js';

/**
 * DenseNet feature reuse (Huang et al. 2017 §5, Fig. 5) on a trained DenseNet-BC, and a parameter
 * efficiency table: DenseNet-BC vs a CIFAR ResNet trained with the same recipe.
 */
export async function runFeatureReuse(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = { ...twinSettings(context), ...pick(context.mode, { layers: 4, growth: 8 }, { layers: 16, growth: 12 }) };
  const data = twinData(context);
  const io = { inChannels: data.train.channels, numClasses: data.train.numClasses };
  const dense = smallDenseNet(context, { blockConfig: [s.layers, s.layers, s.layers], growthRate: s.growth, bottleneck: true, ...io });
  const name = `DenseNet-BC (L=${6 * s.layers + 4}, k=${s.growth})`;
  context.progress(`feature-reuse: training ${name} (${dense.parameterCount()} parameters)`);
  const history = await trainModel(dense, data, { epochs: s.epochs, seed: context.seed, onEpoch: (r) => context.progress(`feature-reuse: ${name} epoch ${r.epoch + 1}/${s.epochs}, train error ${(r.trainError * 100).toFixed(1)} %`) });
  const reuse = featureReuse(dense, fixedBatches(data.test, data.stats, 8)[0]!.x);
  // The ResNet row is the shared residual twin, trained with the same recipe on the same data.
  const resnet = await trainedTwin(context, 'identity');
  const table = [
    { name, parameters: dense.parameterCount(), trainError: history[history.length - 1]!.trainError, testError: history[history.length - 1]!.testError ?? null },
    { name: `ResNet-${s.depth}`, parameters: resnet.model.parameterCount(), trainError: resnet.history[resnet.history.length - 1]!.trainError, testError: resnet.history[resnet.history.length - 1]!.testError ?? null },
  ];
  return writeResults(context, 'feature-reuse', 'Huang et al. 2017 Fig. 5: how strongly each DenseNet layer uses the feature maps of each earlier layer; parameter efficiency vs ResNet.',
    { model: 'densenet', epochs: s.epochs, trainSubset: s.trainCount }, { seconds: secondsSince(started), blocks: reuse, table });
}
