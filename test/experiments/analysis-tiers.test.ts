import { describe, expect, it } from 'vitest';
import { experimentPlan } from '../../src/cli/commands/experiment-plans.js';
import { plansOf } from '../../src/cli/commands/experiment.js';
import { ANALYSIS_EXPERIMENTS, analysisPlan, defaultSeeds, STANDARD_EXPERIMENTS } from '../../src/experiments/analysis/index.js';
import { STANDARD_TEST_IMAGES } from '../../src/experiments/analysis/settings.js';
import { degradationSpec } from '../../src/experiments/degradation.js';
import type { ExperimentPlan, PlanContext } from '../../src/experiments/plan.js';
import { expandSpec } from '../../src/experiments/spec.js';
import { STANDARD_EPOCHS, STANDARD_RECIPE, STANDARD_SEEDS, STANDARD_WIDTH } from '../../src/experiments/standard-tier.js';

const flags = { store: 'unused', report: false, executor: 'local' };

/** A plan context whose runs are "trained": each source points at the run's last weights, with a made-up hash. */
const context: PlanContext = {
  root: 'unused',
  runSource: (spec, run, label, epoch) => ({ label, config: run.config, weights: { store: `${spec.name}/${run.id}/weights/epoch-${epoch ?? run.config.epochs}.safetensors`, sha256: '0'.repeat(64) } }),
};

/** The runs a plan trains, as `<folder>/<run id>`. */
const trainedRuns = (plan: ExperimentPlan): string[] => plan.training.flatMap(({ spec, runs }) => expandSpec(spec).filter((r) => !runs || runs.includes(r.id)).map((r) => `${spec.name}/${r.id}`));

describe('the standard tier of lesion and paths', () => {
  it('trains ResNet-56 and its plain twin once, on the full official training set with the standard recipe, for three seeds', async () => {
    const lesion = await experimentPlan('lesion', { ...flags, standard: true });
    const paths = await experimentPlan('paths', { ...flags, standard: true });
    expect(lesion.spec.name).toBe('lesion-standard');
    expect(paths.spec.name).toBe('paths-standard');
    expect(lesion.spec.seeds).toEqual([0, 1, 2]);
    const folder = `resnet56-w${STANDARD_WIDTH}-twins-standard-fashion-mnist-nall-t${STANDARD_TEST_IMAGES}-e${STANDARD_RECIPE.epochs}`;
    expect(trainedRuns(lesion).sort()).toEqual(['identity', 'none'].flatMap((skip) => STANDARD_SEEDS.map((seed) => `${folder}/skip-${skip}_seed-${seed}`)).sort());
    // Paths measures the residual twins of the same folder: training happens once for both.
    expect(trainedRuns(paths).sort()).toEqual(STANDARD_SEEDS.map((seed) => `${folder}/skip-identity_seed-${seed}`));
    const [training] = lesion.training;
    for (const run of expandSpec(training!.spec)) {
      expect(run.config).toMatchObject({ model: 'resnet_cifar', dataset: 'fashion-mnist', testSubset: STANDARD_TEST_IMAGES, weightSnapshots: 'ends', ...STANDARD_RECIPE });
      expect(run.config.modelOptions).toMatchObject({ depth: 56, baseWidth: STANDARD_WIDTH });
      expect(['identity', 'none']).toContain(run.config.modelOptions.skip); // option A shortcuts, or none
      expect(run.config.trainSubset).toBeUndefined();
    }
  });

  it('trains with the same recipe as degradation --standard', () => {
    const degradation = expandSpec(degradationSpec({ mode: 'standard' }))[0]!.config;
    const twins = expandSpec((analysisPlan('lesion', { mode: 'standard', dataset: 'fashion-mnist', seeds: [0] }).training[0]!).spec)[0]!.config;
    const recipe = Object.keys(STANDARD_RECIPE) as (keyof typeof STANDARD_RECIPE)[];
    expect(Object.fromEntries(recipe.map((k) => [k, twins[k]]))).toEqual(Object.fromEntries(recipe.map((k) => [k, degradation[k]])));
    expect(twins).toMatchObject({ optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4, batchSize: 128, schedule: 'step', epochs: STANDARD_EPOCHS });
    expect(twins.modelOptions.baseWidth).toBe(degradation.modelOptions.baseWidth);
  });

  it('measures every seed: lesion per model and random trial, paths per seed, on the standard test subset', async () => {
    const lesion = (await experimentPlan('lesion', { ...flags, standard: true })).measurements!(context);
    const singles = lesion.filter((j) => j.step === 'lesion-single');
    const randoms = lesion.filter((j) => j.step === 'lesion-random');
    expect(singles.map((j) => j.shard).sort()).toEqual(STANDARD_SEEDS.flatMap((seed) => [`seed-${seed}_plain`, `seed-${seed}_residual`]));
    expect(randoms).toHaveLength(STANDARD_SEEDS.length * 2 * 2);
    for (const job of lesion) expect(job.sources.model!.config.testSubset).toBe(STANDARD_TEST_IMAGES);
    const paths = (await experimentPlan('paths', { ...flags, standard: true })).measurements!(context);
    expect(paths.map((j) => [j.shard, j.sources.model!.label, j.params])).toEqual(STANDARD_SEEDS.map((seed) => [`seed-${seed}_model`, 'residual', { seed, images: 128, samplesPerLength: 4 }]));
  });

  it('is accepted by lesion and paths only; every other analysis experiment refuses --standard in one line', async () => {
    expect(STANDARD_EXPERIMENTS).toEqual(['lesion', 'paths']);
    for (const name of ANALYSIS_EXPERIMENTS.filter((n) => !STANDARD_EXPERIMENTS.includes(n))) {
      await expect(experimentPlan(name, { ...flags, standard: true }), name).rejects.toThrow(
        new RegExp(`^--standard does not apply to ${name}: the standard tier is defined for degradation, lesion and paths only; use --quick or --full$`));
      expect(() => analysisPlan(name, { mode: 'standard', dataset: 'fashion-mnist', seeds: [0] }), name).toThrow(/has no standard tier \(only lesion and paths do\)/);
    }
    await expect(experimentPlan('lesion', { ...flags, standard: true, full: true })).rejects.toThrow(/give one tier, not --standard and --full/);
  });

  it('all --standard stands for the experiments with a standard tier', async () => {
    const plans = await plansOf('all', { ...flags, standard: true });
    expect(plans.map((p) => p.spec.name)).toEqual(['degradation-standard', 'lesion-standard', 'paths-standard']);
  });
});

describe('default seeds', () => {
  it('quick runs take two seeds, so their verdicts can be decided; standard three; full and given weights one', async () => {
    for (const name of ANALYSIS_EXPERIMENTS) expect((await experimentPlan(name, flags)).spec.seeds, name).toEqual([0, 1]);
    expect((await experimentPlan('paths', { ...flags, standard: true })).spec.seeds).toEqual([0, 1, 2]);
    expect((await experimentPlan('lesion', { ...flags, full: true })).spec.seeds).toEqual([0]);
    expect(defaultSeeds('quick', true)).toEqual([0]);
    expect((await experimentPlan('lesion', { ...flags, seeds: '4' })).spec.seeds).toEqual([4]);
  });
});
