import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DATASET_NAMES, type DatasetName } from '../../data/registry.js';
import {
  ANALYSIS_EXPERIMENTS, analysisPlan, defaultSeeds, FIXED_DATASET_EXPERIMENTS, GIVEN_WEIGHTS_EXPERIMENTS, isAnalysisExperiment, STANDARD_EXPERIMENTS,
  type AnalysisSettings,
} from '../../experiments/analysis/index.js';
import { degradationSpec } from '../../experiments/degradation.js';
import { checkWeightsFit, resolveWeights } from '../../experiments/given-weights.js';
import type { ExperimentPlan } from '../../experiments/plan.js';
import { parseExperimentSpec, SpecError, type ExperimentSpec } from '../../experiments/spec.js';
import { trainingPlan } from '../../experiments/training-plan.js';
import { UserInputError } from '../../util/errors.js';

/** The flags of `skiplab experiment`, as commander hands them over. */
export interface ExperimentFlags {
  quick?: boolean;
  full?: boolean;
  standard?: boolean;
  depths?: string;
  dataset?: string;
  dataDir?: string;
  epochs?: string;
  trainSubset?: string;
  seeds?: string;
  precision?: string;
  store: string;
  workers?: string;
  threads?: string;
  report: boolean;
  executor: string;
  redis?: string;
  insecure?: boolean;
  detach?: boolean;
  weights?: string;
  model?: string;
  modelOptions?: string;
}

/** A flag's value as a positive integer, or an error naming the flag. */
export function positiveInteger(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserInputError(`${flag}: expected a positive integer, got '${value}'`);
  return n;
}

function integerList(flag: string, value: string, check: (n: number) => boolean, expected: string): number[] {
  const list = value.split(',').map((s) => s.trim());
  const numbers = list.map(Number);
  numbers.forEach((n, i) => {
    if (list[i] === '' || !Number.isInteger(n) || !check(n)) throw new UserInputError(`${flag}: '${list[i]}' is not ${expected} (give a comma-separated list, e.g. 0,1,2)`);
  });
  if (new Set(numbers).size !== numbers.length) throw new UserInputError(`${flag}: '${value}' repeats a value`);
  return numbers;
}

const seedsOf = (flags: ExperimentFlags): number[] | undefined => (flags.seeds === undefined ? undefined : integerList('--seeds', flags.seeds, (n) => n >= 0, 'a non-negative integer'));

function datasetOf(flags: ExperimentFlags): DatasetName | undefined {
  if (flags.dataset === undefined) return undefined;
  if (!(DATASET_NAMES as readonly string[]).includes(flags.dataset)) throw new UserInputError(`--dataset: unknown dataset '${flags.dataset}' (${DATASET_NAMES.join(', ')})`);
  return flags.dataset as DatasetName;
}

function precisionOf(flags: ExperimentFlags): 'fp32' | 'bf16' | undefined {
  if (flags.precision !== undefined && flags.precision !== 'fp32' && flags.precision !== 'bf16') {
    throw new UserInputError(`--precision: unknown precision '${flags.precision}' (fp32 or bf16)`);
  }
  return flags.precision;
}

/** Refuse a flag an experiment cannot honour, saying why. */
function refuse(when: boolean, flag: string, experiment: string, why: string): void {
  if (when) throw new UserInputError(`${flag} does not apply to ${experiment}: ${why}`);
}

function modelOptionsOf(flags: ExperimentFlags): Record<string, string | number | boolean> | undefined {
  if (flags.modelOptions === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(flags.modelOptions);
  } catch {
    throw new UserInputError(`--model-options: '${flags.modelOptions}' is not JSON (e.g. '{"depth": 20}')`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => !['string', 'number', 'boolean'].includes(typeof v))) {
    throw new UserInputError(`--model-options: expected an object of numbers, strings and booleans, got ${flags.modelOptions}`);
  }
  return parsed as Record<string, string | number | boolean>;
}

/** Read a spec file (JSON or YAML); the flags that set a training config's fields override it. */
function specFile(nameOrFile: string, flags: ExperimentFlags): ExperimentSpec {
  const path = resolve(nameOrFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SpecError(`${path}: cannot read the spec (${(error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = nameOrFile.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new SpecError(`${path}: not valid ${nameOrFile.endsWith('.json') ? 'JSON' : 'YAML'} (${(error as Error).message})`);
  }
  const spec = parseExperimentSpec(raw, path);
  const base = { ...spec.base };
  const dataset = datasetOf(flags);
  if (dataset) base.dataset = dataset;
  if (flags.dataDir) base.dataDir = flags.dataDir;
  if (flags.epochs) base.epochs = positiveInteger('--epochs', flags.epochs);
  if (flags.trainSubset) base.trainSubset = positiveInteger('--train-subset', flags.trainSubset);
  const precision = precisionOf(flags);
  if (precision) base.precision = precision;
  return parseExperimentSpec({ ...spec, base, seeds: seedsOf(flags) ?? spec.seeds }, path);
}

/** The tier the flags ask for; more than one tier flag is an error. */
export function tierOf(flags: Pick<ExperimentFlags, 'quick' | 'standard' | 'full'>): 'quick' | 'standard' | 'full' {
  const asked = (['quick', 'standard', 'full'] as const).filter((tier) => flags[tier]);
  if (asked.length > 1) throw new UserInputError(`give one tier, not ${asked.map((t) => `--${t}`).join(' and ')}`);
  return asked[0] ?? 'quick';
}

/** The settings every analysis experiment takes from the flags (the default seeds depend on the tier). */
export async function analysisSettings(flags: ExperimentFlags): Promise<AnalysisSettings> {
  const mode = tierOf(flags);
  let dataset = datasetOf(flags) ?? (flags.dataDir ? 'cifar10' : 'fashion-mnist');
  const settings: AnalysisSettings = {
    mode, dataset, dataDir: flags.dataDir, seeds: seedsOf(flags) ?? defaultSeeds(mode, flags.weights !== undefined),
    epochs: flags.epochs ? positiveInteger('--epochs', flags.epochs) : undefined,
    trainSubset: flags.trainSubset ? positiveInteger('--train-subset', flags.trainSubset) : undefined,
  };
  if (flags.weights !== undefined) {
    const { weights, run } = resolveWeights({ path: flags.weights, model: flags.model, modelOptions: modelOptionsOf(flags) });
    // Weights from a run folder are measured on the data they were trained on, unless told otherwise.
    if (run && !flags.dataset) {
      if (run.dataset === 'digit-segmentation') throw new UserInputError(`--weights: ${flags.weights} was trained on digit-segmentation, which these experiments do not measure`);
      dataset = run.dataset;
      settings.dataset = dataset;
      settings.dataDir = flags.dataDir ?? run.dataDir;
    }
    await checkWeightsFit(weights, { dataset, dataDir: settings.dataDir });
    settings.weights = weights;
  }
  if (dataset === 'cifar10' && !settings.dataDir) throw new UserInputError('--dataset cifar10 needs --data-dir, the folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin');
  return settings;
}

/**
 * The plan of one named experiment (built in, analysis, or a spec file), after refusing every
 * flag it cannot honour.
 */
export async function experimentPlan(name: string, flags: ExperimentFlags): Promise<ExperimentPlan> {
  const given = flags.weights !== undefined;
  refuse(!given && (flags.model !== undefined || flags.modelOptions !== undefined), '--model', name, 'it names the model of --weights FILE; give --weights too');
  if (name === 'degradation' || /\.(json|ya?ml)$/.test(name)) {
    refuse(given, '--weights', name, `it trains its own models; --weights works with ${GIVEN_WEIGHTS_EXPERIMENTS.join(', ')}`);
    if (name === 'degradation') {
      return trainingPlan(degradationSpec({
        mode: tierOf(flags), depths: flags.depths === undefined ? undefined : integerList('--depths', flags.depths, (n) => n > 0, 'a depth'),
        dataset: datasetOf(flags), dataDir: flags.dataDir, seeds: seedsOf(flags),
        epochs: flags.epochs ? positiveInteger('--epochs', flags.epochs) : undefined, trainSubset: flags.trainSubset ? positiveInteger('--train-subset', flags.trainSubset) : undefined,
        precision: precisionOf(flags),
      }));
    }
    refuse(flags.depths !== undefined, '--depths', name, 'vary a depth in the spec file\'s grid instead');
    refuse(Boolean(flags.full), '--full', name, 'a spec file states its own sizes');
    refuse(Boolean(flags.standard), '--standard', name, 'a spec file states its own sizes');
    return trainingPlan(specFile(name, flags));
  }
  if (!isAnalysisExperiment(name)) {
    throw new UserInputError(`unknown experiment '${name}' (built in: degradation, ${ANALYSIS_EXPERIMENTS.join(', ')}, all; or give a .json/.yaml spec file)`);
  }
  refuse(flags.precision !== undefined, '--precision', name, 'its measurements are defined in FP32 (only degradation and spec files take --precision)');
  refuse(flags.depths !== undefined, '--depths', name, 'its depths are fixed by its tier (only degradation takes --depths)');
  refuse(Boolean(flags.standard) && !STANDARD_EXPERIMENTS.includes(name), '--standard', name, `the standard tier is defined for degradation, ${STANDARD_EXPERIMENTS.join(' and ')} only; use --quick or --full`);
  refuse(Boolean(flags.detach), '--detach', name, 'its measurements start when its training ends, so it runs in the foreground (--detach is for training sweeps)');
  refuse(given && !GIVEN_WEIGHTS_EXPERIMENTS.includes(name), '--weights', name, `it compares models it trains itself; --weights works with ${GIVEN_WEIGHTS_EXPERIMENTS.join(', ')}`);
  refuse(given && flags.epochs !== undefined, '--epochs', `${name} --weights`, 'given weights are analysed without training');
  const fixed = FIXED_DATASET_EXPERIMENTS[name];
  refuse(fixed !== undefined && (flags.dataset !== undefined || flags.dataDir !== undefined), flags.dataset !== undefined ? '--dataset' : '--data-dir', name, fixed ?? '');
  return analysisPlan(name, await analysisSettings(flags));
}
