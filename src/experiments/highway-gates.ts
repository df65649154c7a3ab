import { highwayGateActivity, type GateActivity } from '../analysis/feature-reuse.js';
import { createModel } from '../models/registry.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, imageData, pick, secondsSince, trainModel, writeResults, type AnalysisContext } from './analysis-common.js';

/**
 * Transform-gate activity of a fully connected highway network (Srivastava et al. 2015 §4.1,
 * Fig. 2) at initialisation and after every epoch: mean gate by depth, and the fraction of
 * examples for which a layer's gates are nearly closed (the layer mostly carries its input).
 */
export async function runHighwayGates(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = pick(context.mode, { depth: 20, width: 50, train: 4096, epochs: 4 }, { depth: 50, width: 50, train: 60000, epochs: 20 });
  const data = imageData(context, s.train, 500);
  const probe = fixedBatches(data.test, data.stats, 500)[0]!.x;
  const results = [];
  for (const skip of ['gated', 'none'] as const) {
    const model = createModel('highway_fc', { depth: s.depth, width: s.width, inFeatures: data.train.imageSize, numClasses: data.train.numClasses, skip, rng: new Rng(context.seed + 1) });
    const summarize = (epoch: number, layers: GateActivity[]) => ({ epoch, layers: layers.map((l) => ({ layer: l.layer, meanGate: l.meanGate, closedFraction: l.closedFraction, perExample: l.perExample.slice(0, 20) })) });
    const gates = skip === 'gated' ? [summarize(0, highwayGateActivity(model, probe))] : [];
    const history = await trainModel(model, data, {
      epochs: s.epochs, lr: 0.05, seed: context.seed,
      onEpoch: (r) => {
        if (skip === 'gated') gates.push(summarize(r.epoch + 1, highwayGateActivity(model, probe)));
        context.progress(`highway-gates: ${skip === 'gated' ? 'highway' : 'plain'}-${s.depth} epoch ${r.epoch + 1}/${s.epochs}, train error ${(r.trainError * 100).toFixed(1)} %`);
      },
    });
    results.push({ family: skip === 'gated' ? 'highway' : 'plain', trainError: history.map((h) => h.trainError), testError: history.map((h) => h.testError ?? null), gates });
  }
  return writeResults(context, 'highway-gates', 'Srivastava et al. 2015: transform-gate activity per layer and per example over training, and training error of the highway net vs its plain twin.',
    { model: 'highway_fc', epochs: s.epochs, trainSubset: s.train }, { depth: s.depth, width: s.width, seconds: secondsSince(started), models: results });
}
