import { z } from 'zod';
import { trainConfigSchema } from '../train/config.js';
import { degradationResultsSchema, type DegradationResults, type DegradationRun } from './results/degradation.js';
import type { ExperimentStore } from './store.js';

export { degradationResultsSchema, type DegradationResults, type DegradationRun };

const optionsSchema = z.object({ depth: z.number().int(), skip: z.string().optional() }).loose();

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);

/** Read every run of a degradation experiment from the store (the report's only source). */
export function degradationResults(store: ExperimentStore): DegradationResults {
  const runs: DegradationRun[] = [];
  let dataset = '';
  for (const planned of store.runs()) {
    const dir = store.runDirectory(planned);
    const config = dir.readConfig(trainConfigSchema);
    dataset = config.dataset;
    const options = optionsSchema.parse(config.modelOptions);
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
  return { version: 1, experiment: store.spec.name, dataset, writtenAt: new Date().toISOString(), runs, ...conclude(runs) };
}

/** Mean final training error per (family, depth) over seeds. */
function meanFinal(runs: DegradationRun[], residual: boolean, depth: number): number | null {
  const values = runs.filter((r) => r.residual === residual && r.depth === depth && r.finalTrainError !== null).map((r) => r.finalTrainError!);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

function conclude(runs: DegradationRun[]): Pick<DegradationResults, 'conclusions' | 'plainDegrades' | 'residualFixes'> {
  const depths = [...new Set(runs.map((r) => r.depth))].sort((a, b) => a - b);
  if (depths.length < 2) return { conclusions: ['Too few depths to compare.'], plainDegrades: null, residualFixes: null };
  const shallow = depths[0]!;
  const deep = depths[depths.length - 1]!;
  const plainShallow = meanFinal(runs, false, shallow);
  const plainDeep = meanFinal(runs, false, deep);
  const resShallow = meanFinal(runs, true, shallow);
  const resDeep = meanFinal(runs, true, deep);
  const conclusions: string[] = [];
  let plainDegrades: boolean | null = null;
  let residualFixes: boolean | null = null;
  if (plainShallow !== null && plainDeep !== null) {
    plainDegrades = plainDeep > plainShallow;
    conclusions.push(`plain-${deep} ends at ${pct(plainDeep)} training error vs plain-${shallow} at ${pct(plainShallow)}: ` +
      (plainDegrades ? 'the deeper plain net trains worse (degradation).' : 'no degradation at this budget.'));
  }
  if (resShallow !== null && resDeep !== null) {
    conclusions.push(`residual-${deep} ends at ${pct(resDeep)} vs residual-${shallow} at ${pct(resShallow)}` +
      (resDeep <= resShallow ? ': depth helps the residual nets.' : ': at this budget the deeper residual net has not yet passed the shallower one.'));
  }
  if (plainDeep !== null && resDeep !== null) {
    residualFixes = resDeep < plainDeep;
    conclusions.push(`At depth ${deep}, the residual net's training error is ${pct(resDeep)} against the plain net's ${pct(plainDeep)}` +
      (residualFixes ? ` (${(plainDeep / Math.max(resDeep, 1e-9)).toFixed(1)}× lower): skip connections remove the degradation.` : ': the skip did not help at this budget.'));
  }
  return { conclusions, plainDegrades, residualFixes };
}
