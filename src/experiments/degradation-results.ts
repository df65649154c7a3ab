import { z } from 'zod';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';
import { degradationResultsSchema, type DegradationResults, type DegradationRun } from './results/degradation.js';
import type { ExperimentStore } from './store.js';

export { degradationResultsSchema, type DegradationResults, type DegradationRun };

const optionsSchema = z.object({ depth: z.number().int(), skip: z.string().optional() }).loose();

/** The shared recipe of a degradation run in words. */
function recipeText(config: TrainConfig): string {
  const images = config.trainSubset === undefined ? `the full ${config.dataset} training set` : `${config.trainSubset.toLocaleString('en')} ${config.dataset} training images`;
  const warmup = config.warmupEpochs ? `, linear warm-up over ${config.warmupEpochs} epochs` : '';
  const constant = config.constantWarmup ? `, lr ${config.constantWarmup.lr} for the first ${config.constantWarmup.steps} steps` : '';
  const schedule = config.schedule === 'step' ? `lr ${config.lr} ÷ 10 at 50 % and 75 % of the steps` : `${config.schedule} lr ${config.lr}`;
  return `${config.epochs} epoch${config.epochs === 1 ? '' : 's'} on ${images}, batch ${config.batchSize}, ${schedule}${warmup}${constant}`;
}

/** Read every run of a degradation experiment from the store (the report's only source). */
export function degradationResults(store: ExperimentStore): DegradationResults {
  const runs: DegradationRun[] = [];
  let dataset = '';
  // The recipe of each depth; depths that differ from the rest (ResNet-110's warm-up) are named.
  const recipes = new Map<number, string>();
  for (const planned of store.runs()) {
    const dir = store.runDirectory(planned);
    const config = dir.readConfig(trainConfigSchema);
    dataset = config.dataset;
    const options = optionsSchema.parse(config.modelOptions);
    recipes.set(options.depth, recipeText(config));
    const metrics = dir.readMetrics();
    const summary = dir.readSummary();
    const epochs = metrics.filter((r) => r.kind === 'epoch').map((r) => ({
      epoch: r.epoch + 1, step: r.step, trainError: Number(r.trainError), ...(r.testError === undefined ? {} : { testError: Number(r.testError) }),
    }));
    const curve = metrics.filter((r) => r.kind === 'step' && r.trainError !== undefined).map((r) => ({
      step: r.step, epoch: r.epoch, trainError: Number(r.trainError), ...(r.testError === undefined ? {} : { testError: Number(r.testError) }),
    }));
    const last = epochs[epochs.length - 1];
    runs.push({
      id: planned.id, depth: options.depth, residual: options.skip !== 'none', seed: config.seed,
      parameters: typeof summary?.parameterCount === 'number' ? summary.parameterCount : null,
      complete: summary?.status === 'complete', curve, epochs,
      finalTrainError: last?.trainError ?? null, finalTestError: last?.testError ?? null,
      seconds: summary?.seconds ?? null,
    });
  }
  runs.sort((a, b) => Number(a.residual) - Number(b.residual) || a.depth - b.depth || a.seed - b.seed);
  const byRecipe = new Map<string, number[]>();
  for (const [depth, recipe] of [...recipes].sort((a, b) => a[0] - b[0])) byRecipe.set(recipe, [...(byRecipe.get(recipe) ?? []), depth]);
  const [common, ...others] = [...byRecipe].sort((a, b) => b[1].length - a[1].length);
  const budget = [common?.[0] ?? '', ...others.map(([recipe, depths]) => `depth ${depths.join(', ')}: ${recipe}`)].join('; ');
  const tier = /-(quick|standard|full)$/.exec(store.spec.name)?.[1] ?? 'custom';
  return { version: 1, experiment: store.spec.name, dataset, tier, budget, writtenAt: new Date().toISOString(), runs };
}
