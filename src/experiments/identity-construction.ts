import { noGrad } from '../autograd/no-grad.js';
import { identityConstruction } from '../analysis/identity-construction.js';
import { classificationError } from '../analysis/lesion.js';
import { createModel } from '../models/registry.js';
import type { ResNetCifar } from '../models/resnet-cifar.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, secondsSince, trainedModel, trainModel, writeResults, type AnalysisContext } from './analysis-common.js';
import { trainedTwin, twinData, twinSettings } from './analysis-models.js';

/**
 * The construction argument (He et al. 2015 §1): a deeper plain net made of a trained shallow one
 * plus identity layers has exactly the shallow net's training error — so a solution at least as
 * good exists — yet the same deep plain net trained from scratch with the same recipe ends higher.
 */
export async function runIdentityConstruction(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = twinSettings(context);
  const data = twinData(context);
  const io = { inChannels: data.train.channels, numClasses: data.train.numClasses };
  const shallowDepth = 8;
  const shallow = await trainedModel(context, `plain${shallowDepth}-w${s.baseWidth}-n${s.trainCount}-e${s.epochs}`,
    () => createModel('resnet_cifar', { depth: shallowDepth, skip: 'none', baseWidth: s.baseWidth, ...io, rng: new Rng(context.seed + 1) }) as ResNetCifar,
    (model) => trainModel(model, { train: data.train, stats: data.stats, test: data.test }, { epochs: s.epochs, seed: context.seed }));
  const scratch = await trainedTwin(context, 'none');
  const deep = createModel('resnet_cifar', { depth: s.depth, skip: 'none', baseWidth: s.baseWidth, ...io, rng: new Rng(context.seed + 2) }) as ResNetCifar;
  const { model: constructed, inserted } = identityConstruction(shallow.model, deep);
  context.progress(`identity-construction: evaluating on ${data.train.count} training images`);
  const trainBatches = fixedBatches(data.train, data.stats, 128);
  const testBatches = fixedBatches(data.test, data.stats, 128);
  const row = (name: string, depth: number, model: ResNetCifar) => ({ name, depth, trainError: classificationError(model, trainBatches), testError: classificationError(model, testBatches) });
  const rows = [
    row(`plain-${shallowDepth} (trained)`, shallowDepth, shallow.model),
    row(`plain-${s.depth} = plain-${shallowDepth} + ${inserted.length} identity blocks`, s.depth, constructed),
    row(`plain-${s.depth} trained from scratch`, s.depth, scratch.model),
  ];
  const outputsIdentical = (() => {
    const x = testBatches[0]!.x;
    const a = noGrad(() => shallow.model.eval().forward(x).f32);
    const b = noGrad(() => constructed.eval().forward(x).f32);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    return worst;
  })();
  return writeResults(context, 'identity-construction', 'He et al. 2015 §1: a deeper plain net built from a trained shallow one plus identity layers matches it exactly; trained from scratch it ends higher.',
    { model: 'resnet_cifar', epochs: s.epochs, trainSubset: s.trainCount }, { seconds: secondsSince(started), inserted, maxOutputDifference: outputsIdentical, rows });
}
