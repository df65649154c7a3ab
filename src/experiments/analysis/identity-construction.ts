import { noGrad } from '../../autograd/no-grad.js';
import { z } from 'zod';
import { identityConstruction } from '../../analysis/identity-construction.js';
import { classificationError } from '../../analysis/lesion.js';
import { Rng } from '../../tensor/rng.js';
import { buildRunModel } from '../../train/run-training.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { identityConstructionResultsSchema } from '../results/identity-construction.js';
import { analysisSpec, fixedBatches, plannedRun, resultsHeader, twinTraining } from './common.js';
import { analysisRecipe, trainingSpec, twinRun, twinSizes, twinsSpec, type AnalysisSettings } from './settings.js';

/**
 * The construction argument (He et al. 2015 §1): a deeper plain net made of a trained shallow one
 * plus identity layers has exactly the shallow net's training error — so a solution at least as
 * good exists — yet the same deep plain net trained from scratch with the same recipe (the plain
 * twin) ends higher. One shard per seed.
 */
const SHALLOW_DEPTH = 8;

export const identityConstructionStep = defineStep({
  name: 'identity-construction',
  params: z.strictObject({ seed: z.number().int().nonnegative() }),
  result: identityConstructionResultsSchema.shape.seeds.element.omit({ seed: true }),
  async run(context, { seed }) {
    const shallow = await context.model('shallow');
    const scratch = await context.model('scratch');
    const data = context.data('scratch');
    const deep = buildRunModel(context.config('scratch'), data.train, new Rng(seed + 2));
    const { model: constructed, inserted } = identityConstruction(shallow, deep);
    context.progress(`identity-construction: evaluating on ${data.train.count} training images`);
    const trainBatches = fixedBatches(data.train, data.stats, 128);
    const testBatches = fixedBatches(data.test, data.stats, 128);
    const depthOf = (name: string) => Number(context.config(name).modelOptions.depth);
    const row = (name: string, depth: number, model: typeof shallow) => ({ name, depth, trainError: classificationError(model, trainBatches), testError: classificationError(model, testBatches) });
    const x = testBatches[0]!.x;
    const a = noGrad(() => shallow.eval().forward(x).f32);
    const b = noGrad(() => constructed.eval().forward(x).f32);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    const [s, d] = [depthOf('shallow'), depthOf('scratch')];
    return {
      inserted, maxOutputDifference: worst,
      rows: [
        row(`plain-${s} (trained)`, s, shallow),
        row(`plain-${d} = plain-${s} + ${inserted.length} identity blocks`, d, constructed),
        row(`plain-${d} trained from scratch`, d, scratch),
      ] as [ReturnType<typeof row>, ReturnType<typeof row>, ReturnType<typeof row>],
    };
  },
});

export function identityConstructionPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'identity-construction', 'He et al. 2015 §1: a deeper plain net built from a trained shallow one plus identity layers matches it exactly; trained from scratch it ends higher.');
  const s = twinSizes(settings);
  const shallow = trainingSpec(settings, `plain${SHALLOW_DEPTH}-w${s.width}`, {
    description: 'The shallow plain net the identity construction starts from, trained with the analysis recipe.',
    base: { model: 'resnet_cifar', modelOptions: { depth: SHALLOW_DEPTH, baseWidth: s.width, skip: 'none' }, weightSnapshots: 'ends', ...analysisRecipe(settings, { epochs: s.epochs, trainSubset: s.trainSubset, testSubset: s.testSubset }) },
  });
  const twins = twinsSpec(settings);
  return {
    spec,
    training: [{ spec: shallow }, ...twinTraining(settings, ['none'])],
    measurements: (context) => settings.seeds.map((seed) => measureJob(spec.name, identityConstructionStep, `seed-${seed}_plain`, {
      shallow: context.runSource(shallow, plannedRun(shallow, `seed-${seed}`), `plain-${SHALLOW_DEPTH}`),
      scratch: context.runSource(twins, plannedRun(twins, twinRun('none', seed)), 'plain'),
    }, { seed })),
    results: {
      schema: identityConstructionResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('identity-construction', settings, context),
        seeds: settings.seeds.map((seed) => ({ seed, ...context.shard(identityConstructionStep, `seed-${seed}_plain`).result })),
      }),
    },
  };
}
