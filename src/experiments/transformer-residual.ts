import { blockOutputs } from '../analysis/representations.js';
import { linearProbe } from '../analysis/probe.js';
import { createModel } from '../models/registry.js';
import type { TransformerClassifier } from '../models/transformer.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, imageData, pick, secondsSince, trainModel, writeResults, type AnalysisContext } from './analysis-common.js';

/**
 * A pre-LN transformer (images read as sequences of rows) with and without its residual adds at
 * growing depth: training loss, test error, and a linear probe that recovers each token's position
 * from every block's output (the seeds' claim: residuals let the transformer keep track of where
 * each element is).
 */
export async function runTransformerResidual(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = pick(context.mode, { depths: [2, 4], dim: 32, heads: 4, train: 1536, epochs: 3, probe: 96 }, { depths: [2, 4, 8, 12], dim: 64, heads: 4, train: 60000, epochs: 10, probe: 500 });
  const data = imageData(context, s.train, s.probe);
  const probeX = fixedBatches(data.test, data.stats, s.probe)[0]!.x;
  const runs = [];
  for (const layers of s.depths) {
    for (const skip of ['identity', 'none'] as const) {
      const name = `${skip === 'none' ? 'no residual' : 'residual'}, ${layers} blocks`;
      const model = createModel('transformer_classifier', { layers, dim: s.dim, heads: s.heads, skip, inChannels: data.train.channels, imageSize: data.train.height, imageWidth: data.train.width, numClasses: data.train.numClasses, rng: new Rng(context.seed + 1) }) as TransformerClassifier;
      const losses: { step: number; loss: number }[] = [];
      const history = await trainModel(model, data, {
        epochs: s.epochs, lr: 0.01, seed: context.seed, clipGradNorm: 1,
        onStep: (r) => { if (r.step % 4 === 0) losses.push({ step: r.step, loss: r.loss }); },
        onEpoch: (r) => context.progress(`transformer-residual: ${name} epoch ${r.epoch + 1}/${s.epochs}, train loss ${r.trainLoss.toFixed(3)}`),
      });
      // Probe every block's output (N, L, E) for the position of each token; first 2/3 of the images fit it.
      const sequence = data.train.height;
      const fitOn = Math.floor((2 * s.probe) / 3) * sequence;
      const targets = Int32Array.from({ length: s.probe * sequence }, (_, r) => r % sequence);
      const probes = blockOutputs(model, probeX).map((o) => ({ block: o.block, ...linearProbe(o.features, s.dim, targets, sequence, (r) => r < fitOn) }));
      const last = history[history.length - 1]!;
      runs.push({ name, layers, residual: skip === 'identity', losses, trainLoss: history.map((h) => h.trainLoss), finalTrainError: last.trainError, finalTestError: last.testError ?? null, probes });
    }
  }
  return writeResults(context, 'transformer-residual', 'A pre-LN transformer with and without residual adds: training loss and a linear probe for token position.',
    { model: 'transformer_classifier', epochs: s.epochs, trainSubset: s.train }, { seconds: secondsSince(started), dim: s.dim, runs });
}
